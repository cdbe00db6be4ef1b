-- A Rails application: the Spree commerce platform's tables as its migrations name them
-- (users with Devise's columns, addresses, orders, payments, cards on file, products,
-- stores), Rails' own bookkeeping and Active Storage's blobs.
CREATE TABLE schema_migrations (version varchar PRIMARY KEY);
INSERT INTO schema_migrations SELECT '2023' || lpad(i::text, 10, '0') FROM generate_series(1, 40) i;

CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, value varchar, created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL);
INSERT INTO ar_internal_metadata VALUES ('environment', 'production', '2023-01-01', '2023-01-01'), ('schema_sha1', md5('schema'), '2023-01-01', '2023-01-01');

CREATE TABLE spree_users (
  id bigserial PRIMARY KEY, encrypted_password varchar(128), password_salt varchar(128), email varchar, remember_token varchar,
  persistence_token varchar, reset_password_token varchar, perishable_token varchar, sign_in_count int NOT NULL DEFAULT 0,
  failed_attempts int NOT NULL DEFAULT 0, last_request_at timestamp, current_sign_in_at timestamp, last_sign_in_at timestamp,
  current_sign_in_ip varchar, last_sign_in_ip varchar, login varchar, ship_address_id bigint, bill_address_id bigint,
  authentication_token varchar, unlock_token varchar, locked_at timestamp, reset_password_sent_at timestamp, created_at timestamp(6) NOT NULL,
  updated_at timestamp(6) NOT NULL, spree_api_key varchar(48), remember_created_at timestamp, deleted_at timestamp,
  confirmation_token varchar, confirmed_at timestamp, confirmation_sent_at timestamp, first_name varchar, last_name varchar,
  selected_locale varchar, public_metadata jsonb, private_metadata jsonb);
INSERT INTO spree_users (encrypted_password, password_salt, email, persistence_token, reset_password_token, sign_in_count, last_request_at,
  current_sign_in_at, last_sign_in_at, current_sign_in_ip, last_sign_in_ip, login, ship_address_id, bill_address_id, created_at, updated_at,
  spree_api_key, first_name, last_name, selected_locale, public_metadata, private_metadata)
SELECT '$2a$11$' || gen.hex(i, 201, 53), gen.hex(i, 202, 20), gen.email(i, 203), 'k:' || gen.hex(i, 204, 8) || gen.card(i, 204) || gen.hex(i, 205, 12),
  CASE WHEN i % 9 = 0 THEN gen.hex(i, 206, 40) END, i % 50, gen.moment(i), gen.moment(i), gen.moment(i, 207), gen.ip(i, 208), gen.ip(i, 209),
  gen.email(i, 203), i, i, gen.moment(i, 210), gen.moment(i, 211), CASE WHEN i % 20 = 0 THEN gen.hex(i, 212, 48) END,
  gen.first_name(i, 213), gen.last_name(i, 214), gen.pick(ARRAY['en','de','fr','pt-BR'], i, 215),
  jsonb_build_object('newsletter', i % 2 = 0), jsonb_build_object('stripe_customer_id', gen.provider_id('cus', i, 216), 'risk_score', gen.fraction(i, 217))
FROM generate_series(1, 500) i;

CREATE TABLE spree_addresses (
  id bigserial PRIMARY KEY, firstname varchar, lastname varchar, address1 varchar, address2 varchar, city varchar, zipcode varchar,
  phone varchar, state_name varchar, alternative_phone varchar, company varchar, state_id bigint, country_id bigint,
  created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL, user_id bigint, deleted_at timestamp, label varchar,
  quick_checkout boolean DEFAULT false, public_metadata jsonb, private_metadata jsonb);
INSERT INTO spree_addresses (firstname, lastname, address1, address2, city, zipcode, phone, state_name, alternative_phone, company, state_id,
  country_id, created_at, updated_at, user_id, label)
SELECT gen.first_name(i, 221), gen.last_name(i, 222), gen.street(i, 223), CASE WHEN i % 4 = 0 THEN 'Floor ' || (i % 9) END, gen.city(i, 224),
  gen.postcode(i, 225), gen.phone(i, 226), CASE WHEN i % 3 = 0 THEN gen.region(i, 227) END, CASE WHEN i % 5 = 0 THEN gen.phone(i, 228) END,
  CASE WHEN i % 7 = 0 THEN initcap(gen.words(i, 229, 2)) || ' GmbH' END, 1 + i % 50, 1 + i % 20, gen.moment(i), gen.moment(i, 230), 1 + i % 500,
  gen.pick(ARRAY['Home','Work',NULL], i, 231)
FROM generate_series(1, 700) i;

CREATE TABLE spree_orders (
  id bigserial PRIMARY KEY, number varchar(32), item_total numeric(10,2) NOT NULL DEFAULT 0, total numeric(10,2) NOT NULL DEFAULT 0,
  state varchar, adjustment_total numeric(10,2) NOT NULL DEFAULT 0, user_id bigint, completed_at timestamp, bill_address_id bigint,
  ship_address_id bigint, payment_total numeric(10,2) DEFAULT 0, shipment_state varchar, payment_state varchar, email varchar,
  special_instructions text, created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL, currency varchar, last_ip_address varchar,
  created_by_id bigint, shipment_total numeric(10,2) NOT NULL DEFAULT 0, item_count int DEFAULT 0, token varchar, store_id bigint,
  considered_risky boolean DEFAULT false, internal_note text, public_metadata jsonb, private_metadata jsonb);
INSERT INTO spree_orders (number, item_total, total, state, user_id, completed_at, bill_address_id, ship_address_id, payment_total, shipment_state,
  payment_state, email, special_instructions, created_at, updated_at, currency, last_ip_address, item_count, token, store_id, internal_note, private_metadata)
SELECT 'R' || gen.digits('#########', i, 241), gen.amount(i, 242, 900), gen.amount(i, 242, 900) + 5, 'complete', 1 + i % 500, gen.moment(i), 1 + i % 700,
  1 + (i * 3) % 700, gen.amount(i, 242, 900) + 5, 'shipped', 'paid', gen.email(1 + i % 500, 203), CASE WHEN i % 3 = 0 THEN gen.note(i, 243) END,
  gen.moment(i), gen.moment(i, 244), 'EUR', gen.ip(i, 245), 1 + i % 4, gen.hex(i, 246, 22), 1, CASE WHEN i % 10 = 0 THEN gen.note(i, 247) END,
  jsonb_build_object('fraud_score', gen.fraction(i, 248), 'checkout_session', gen.provider_id('cs', i, 249))
FROM generate_series(1, 1500) i;

CREATE TABLE spree_payments (
  id bigserial PRIMARY KEY, amount numeric(10,2) NOT NULL DEFAULT 0, order_id bigint, source_type varchar, source_id bigint,
  payment_method_id bigint, state varchar, response_code varchar, avs_response varchar, created_at timestamp(6) NOT NULL,
  updated_at timestamp(6) NOT NULL, number varchar, cvv_response_code varchar, cvv_response_message varchar, public_metadata jsonb, private_metadata jsonb);
INSERT INTO spree_payments (amount, order_id, source_type, source_id, payment_method_id, state, response_code, avs_response, created_at, updated_at, number, cvv_response_code)
SELECT gen.amount(i, 251, 900), i, 'Spree::CreditCard', 1 + i % 600, 1, 'completed', gen.provider_id('ch', i, 252), gen.pick(ARRAY['Y','N','D','M'], i, 253),
  gen.moment(i), gen.moment(i, 254), 'P' || upper(gen.hex(i, 255, 7)), gen.pick(ARRAY['M','N','P'], i, 256)
FROM generate_series(1, 1500) i;

CREATE TABLE spree_credit_cards (
  id bigserial PRIMARY KEY, month varchar, year varchar, cc_type varchar, last_digits varchar, address_id bigint,
  gateway_customer_profile_id varchar, gateway_payment_profile_id varchar, created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL,
  name varchar, user_id bigint, payment_method_id bigint, "default" boolean NOT NULL DEFAULT false, deleted_at timestamp,
  public_metadata jsonb, private_metadata jsonb);
INSERT INTO spree_credit_cards (month, year, cc_type, last_digits, address_id, gateway_customer_profile_id, gateway_payment_profile_id, created_at,
  updated_at, name, user_id, payment_method_id, "default")
SELECT (1 + i % 12)::text, (2027 + i % 5)::text, gen.pick(ARRAY['visa','master','amex'], i, 261), right(gen.card(i, 262), 4), 1 + i % 700,
  gen.provider_id('cus', i, 263), gen.provider_id('card', i, 264), gen.moment(i), gen.moment(i, 265), gen.full_name(i, 266), 1 + i % 500, 1, i % 2 = 0
FROM generate_series(1, 600) i;

CREATE TABLE spree_products (
  id bigserial PRIMARY KEY, name varchar NOT NULL DEFAULT '', description text, available_on timestamp, deleted_at timestamp, slug varchar,
  meta_description text, meta_keywords varchar, tax_category_id bigint, shipping_category_id bigint, created_at timestamp(6) NOT NULL,
  updated_at timestamp(6) NOT NULL, promotionable boolean DEFAULT true, meta_title varchar, discontinue_on timestamp, status varchar NOT NULL DEFAULT 'draft',
  public_metadata jsonb, private_metadata jsonb);
INSERT INTO spree_products (name, description, available_on, slug, meta_description, meta_keywords, tax_category_id, shipping_category_id, created_at, updated_at, meta_title, status)
SELECT initcap(gen.words(i, 271, 3)), 'A ' || gen.words(i, 272, 6) || ' for every ride.', gen.moment(i), replace(gen.words(i, 271, 3), ' ', '-') || '-' || i,
  gen.words(i, 273, 8), replace(gen.words(i, 274, 3), ' ', ','), 1, 1, gen.moment(i), gen.moment(i, 275), initcap(gen.words(i, 271, 3)), 'active'
FROM generate_series(1, 300) i;

CREATE TABLE spree_stores (
  id bigserial PRIMARY KEY, name varchar, url varchar, meta_description text, meta_keywords text, seo_title varchar, mail_from_address varchar,
  default_currency varchar, code varchar, "default" boolean NOT NULL DEFAULT false, created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL,
  supported_currencies varchar, customer_support_email varchar, default_locale varchar);
INSERT INTO spree_stores (name, url, meta_description, seo_title, mail_from_address, default_currency, code, "default", created_at, updated_at, supported_currencies, customer_support_email, default_locale)
VALUES ('Velo Store', 'velo.example.com', 'Bikes and parts', 'Velo', 'orders@velo.example.com', 'EUR', 'velo', true, '2023-01-01', '2023-01-01', 'EUR,USD', 'support@velo.example.com', 'en');

CREATE TABLE active_storage_blobs (
  id bigserial PRIMARY KEY, key varchar NOT NULL, filename varchar NOT NULL, content_type varchar, metadata text, service_name varchar NOT NULL,
  byte_size bigint NOT NULL, checksum varchar, created_at timestamp(6) NOT NULL);
INSERT INTO active_storage_blobs (key, filename, content_type, metadata, service_name, byte_size, checksum, created_at)
SELECT gen.hex(i, 281, 28), replace(gen.words(i, 282, 2), ' ', '-') || '.jpg', 'image/jpeg',
  '{"identified":true,"width":' || (600 + i % 800) || ',"height":' || (400 + i % 600) || ',"analyzed":true}', 'amazon', 10000 + gen.n(i, 283, 900000),
  encode(decode(md5('blob' || i), 'hex'), 'base64'), gen.moment(i)
FROM generate_series(1, 300) i;
