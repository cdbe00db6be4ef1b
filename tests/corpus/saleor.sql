-- A Django application: the Saleor commerce platform's tables as its models name them
-- (accounts and addresses with E.164 phones, orders, payments with billing details,
-- products and media, warehouses), Django's sessions, migrations and content types.
CREATE DOMAIN phone_e164 AS varchar(16) CHECK (VALUE ~ '^\+[1-9][0-9]{6,14}$');

CREATE TABLE django_migrations (id bigserial PRIMARY KEY, app varchar(255) NOT NULL, name varchar(255) NOT NULL, applied timestamptz NOT NULL);
INSERT INTO django_migrations (app, name, applied) SELECT gen.pick(ARRAY['account','order','payment','product','warehouse'], i, 301),
  lpad(i::text, 4, '0') || '_' || replace(gen.words(i, 302, 2), ' ', '_'), gen.moment(i) FROM generate_series(1, 60) i;

CREATE TABLE django_content_type (id serial PRIMARY KEY, app_label varchar(100) NOT NULL, model varchar(100) NOT NULL);
INSERT INTO django_content_type (app_label, model) VALUES ('account', 'user'), ('account', 'address'), ('order', 'order'), ('payment', 'payment');

CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text NOT NULL, expire_date timestamptz NOT NULL);
INSERT INTO django_session SELECT gen.hex(i, 311, 32), encode(convert_to('{"_auth_user_id":"' || i || '","email":"' || gen.email(i, 312) || '"}', 'UTF8'), 'base64'), gen.moment(i)
FROM generate_series(1, 200) i;

CREATE TABLE account_address (
  id serial PRIMARY KEY, first_name varchar(256) NOT NULL, last_name varchar(256) NOT NULL, company_name varchar(256) NOT NULL,
  street_address_1 varchar(256) NOT NULL, street_address_2 varchar(256) NOT NULL, city varchar(256) NOT NULL, postal_code varchar(20) NOT NULL,
  country varchar(2) NOT NULL, country_area varchar(128) NOT NULL, phone phone_e164, city_area varchar(128) NOT NULL,
  validation_skipped boolean NOT NULL DEFAULT false, metadata jsonb, private_metadata jsonb);
INSERT INTO account_address (first_name, last_name, company_name, street_address_1, street_address_2, city, postal_code, country, country_area, phone, city_area, metadata, private_metadata)
SELECT gen.first_name(i, 321), gen.last_name(i, 322), CASE WHEN i % 6 = 0 THEN initcap(gen.words(i, 323, 2)) || ' Ltd' ELSE '' END, gen.street(i, 324),
  CASE WHEN i % 4 = 0 THEN 'Unit ' || (i % 30) ELSE '' END, upper(gen.city(i, 325)), gen.postcode(i, 326),
  gen.pick(ARRAY['DE','FR','PL','GB','US','BR','SE'], i, 327), gen.region(i, 328), CASE WHEN i % 10 > 0 THEN gen.phone_e164(i, 329) END,
  CASE WHEN i % 5 = 0 THEN gen.pick(ARRAY['Mitte','Kreuzberg','Centro','Södermalm'], i, 330) ELSE '' END, '{}', '{}'
FROM generate_series(1, 800) i;

CREATE TABLE account_user (
  id serial PRIMARY KEY, is_superuser boolean NOT NULL, email varchar(254) NOT NULL UNIQUE, is_staff boolean NOT NULL, is_active boolean NOT NULL,
  password varchar(128) NOT NULL, date_joined timestamptz NOT NULL, last_login timestamptz, default_billing_address_id int REFERENCES account_address,
  default_shipping_address_id int REFERENCES account_address, note text, first_name varchar(256) NOT NULL, last_name varchar(256) NOT NULL,
  avatar varchar(100), private_metadata jsonb, metadata jsonb, jwt_token_key varchar(12) NOT NULL, language_code varchar(35) NOT NULL,
  search_document text NOT NULL, updated_at timestamptz NOT NULL, uuid uuid NOT NULL, last_password_reset_request timestamptz,
  is_confirmed boolean NOT NULL DEFAULT true);
INSERT INTO account_user (is_superuser, email, is_staff, is_active, password, date_joined, last_login, default_billing_address_id, default_shipping_address_id,
  note, first_name, last_name, avatar, private_metadata, metadata, jwt_token_key, language_code, search_document, updated_at, uuid)
SELECT i = 1, i || '.' || gen.email(i, 331), i % 50 = 0, true, 'pbkdf2_sha256$600000$' || gen.hex(i, 332, 22) || '$' || encode(decode(gen.hex(i, 333, 64), 'hex'), 'base64'),
  gen.moment(i), gen.moment(i, 334), i, i, CASE WHEN i % 4 = 0 THEN gen.note(i, 335) END, gen.first_name(i, 321), gen.last_name(i, 322),
  CASE WHEN i % 3 = 0 THEN 'user-avatars/avatar_' || gen.hex(i, 336, 8) || '.jpg' END,
  jsonb_build_object('stripe.customer_id', gen.provider_id('cus', i, 337)), jsonb_build_object('signup_channel', 'web', 'embedding_norm', gen.fraction(i, 338)),
  gen.hex(i, 339, 12), gen.pick(ARRAY['en','de','fr','pl'], i, 340),
  lower(i || '.' || gen.email(i, 331) || E'\n' || gen.first_name(i, 321) || E'\n' || gen.last_name(i, 322) || E'\n' || gen.street(i, 324) || E'\n' || gen.city(i, 325) || E'\n' || coalesce(gen.phone_e164(i, 329), '') || E'\n'),
  gen.moment(i, 341), md5('user' || i)::uuid
FROM generate_series(1, 600) i;

CREATE TABLE order_order (
  id uuid PRIMARY KEY, created_at timestamptz NOT NULL, status varchar(32) NOT NULL, user_email varchar(254) NOT NULL, billing_address_id int REFERENCES account_address,
  shipping_address_id int REFERENCES account_address, user_id int REFERENCES account_user, total_net_amount numeric(20,3) NOT NULL,
  total_gross_amount numeric(20,3) NOT NULL, customer_note text NOT NULL, tracking_client_id varchar(36) NOT NULL, origin varchar(32) NOT NULL,
  language_code varchar(35) NOT NULL, customer_user_agent text, search_document text NOT NULL, metadata jsonb, private_metadata jsonb,
  redirect_url varchar(200), weight double precision NOT NULL, number serial UNIQUE, updated_at timestamptz NOT NULL);
INSERT INTO order_order (id, created_at, status, user_email, billing_address_id, shipping_address_id, user_id, total_net_amount, total_gross_amount, customer_note,
  tracking_client_id, origin, language_code, customer_user_agent, search_document, metadata, private_metadata, weight, updated_at)
SELECT md5('order' || i)::uuid, gen.moment(i), 'fulfilled', (1 + i % 600) || '.' || gen.email(1 + i % 600, 331), 1 + i % 800, 1 + (i * 7) % 800, 1 + i % 600,
  gen.amount(i, 351, 700), gen.amount(i, 351, 700) * 1.19, CASE WHEN i % 3 = 0 THEN gen.note(i, 352) ELSE '' END, md5('client' || (i % 300))::uuid::text,
  'checkout', 'en', 'Mozilla/5.0 (X11; Linux x86_64; rv:' || (100 + i % 30) || '.0) Gecko/20100101 Firefox/' || (100 + i % 30) || '.0',
  lower((1 + i % 600) || '.' || gen.email(1 + i % 600, 331) || E'\n' || gen.full_name(1 + i % 800, 321) || E'\n'),
  jsonb_build_object('source', 'web'), jsonb_build_object('stripe.payment_intent', gen.provider_id('pi', i, 353)), gen.fraction(i, 354) * 4, gen.moment(i, 355)
FROM generate_series(1, 1500) i;

CREATE TABLE payment_payment (
  id serial PRIMARY KEY, gateway varchar(255) NOT NULL, is_active boolean NOT NULL, created_at timestamptz NOT NULL, modified_at timestamptz NOT NULL,
  charge_status varchar(20) NOT NULL, billing_first_name varchar(256) NOT NULL, billing_last_name varchar(256) NOT NULL,
  billing_company_name varchar(256) NOT NULL, billing_address_1 varchar(256) NOT NULL, billing_address_2 varchar(256) NOT NULL,
  billing_city varchar(256) NOT NULL, billing_city_area varchar(128) NOT NULL, billing_postal_code varchar(256) NOT NULL,
  billing_country_code varchar(2) NOT NULL, billing_country_area varchar(256) NOT NULL, billing_email varchar(254) NOT NULL,
  customer_ip_address inet, cc_brand varchar(40) NOT NULL, cc_exp_month int, cc_exp_year int, cc_first_digits varchar(6) NOT NULL,
  cc_last_digits varchar(4) NOT NULL, extra_data text NOT NULL, token varchar(512) NOT NULL, currency varchar(3) NOT NULL,
  total numeric(20,3) NOT NULL, captured_amount numeric(20,3) NOT NULL, order_id uuid REFERENCES order_order, psp_reference varchar(512),
  return_url varchar(200), metadata jsonb, private_metadata jsonb);
INSERT INTO payment_payment (gateway, is_active, created_at, modified_at, charge_status, billing_first_name, billing_last_name, billing_company_name,
  billing_address_1, billing_address_2, billing_city, billing_city_area, billing_postal_code, billing_country_code, billing_country_area, billing_email,
  customer_ip_address, cc_brand, cc_exp_month, cc_exp_year, cc_first_digits, cc_last_digits, extra_data, token, currency, total, captured_amount, order_id,
  psp_reference, metadata, private_metadata)
SELECT 'saleor.payments.stripe', true, gen.moment(i), gen.moment(i, 361), 'fully-charged', gen.first_name(i, 362), gen.last_name(i, 363), '',
  gen.street(i, 364), '', gen.city(i, 365), '', gen.postcode(i, 366), gen.pick(ARRAY['DE','FR','PL','GB'], i, 367), gen.region(i, 368), gen.email(i, 369),
  gen.ip(i, 370)::inet, gen.pick(ARRAY['visa','mastercard'], i, 371), 1 + i % 12, 2027 + i % 5, left(gen.card(i, 372), 6), right(gen.card(i, 372), 4),
  '[{"event": "charge.succeeded", "amount": ' || gen.amount(i, 373, 700) || '}]', gen.provider_id('pm', i, 374), 'EUR', gen.amount(i, 373, 700),
  gen.amount(i, 373, 700), md5('order' || i)::uuid, gen.provider_id('ch', i, 375), '{}', '{}'
FROM generate_series(1, 1500) i;

CREATE TABLE product_product (
  id serial PRIMARY KEY, name varchar(250) NOT NULL, description jsonb, slug varchar(255) NOT NULL UNIQUE, search_document text NOT NULL,
  rating double precision, weight double precision, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
  recommendation_vector double precision[], metadata jsonb, private_metadata jsonb);
INSERT INTO product_product (name, description, slug, search_document, rating, weight, created_at, updated_at, recommendation_vector, metadata, private_metadata)
SELECT initcap(gen.words(i, 381, 3)), jsonb_build_object('blocks', jsonb_build_array(jsonb_build_object('type', 'paragraph', 'data', jsonb_build_object('text', 'A ' || gen.words(i, 382, 5))))),
  replace(gen.words(i, 381, 3), ' ', '-') || '-' || i, lower(gen.words(i, 381, 3)) || E'\n', gen.fraction(i, 383) * 5, gen.fraction(i, 384) * 12,
  gen.moment(i), gen.moment(i, 385), ARRAY[gen.fraction(i, 386), gen.fraction(i, 387), gen.fraction(i, 388), gen.fraction(i, 389), 1.0 / 3],
  '{}', jsonb_build_object('erp_sync_hash', gen.hex(i, 390, 8) || gen.card(i, 391) || gen.hex(i, 392, 8))
FROM generate_series(1, 400) i;

CREATE TABLE product_productmedia (
  id serial PRIMARY KEY, sort_order int, image varchar(100), alt varchar(250) NOT NULL, type varchar(32) NOT NULL, external_url varchar(256),
  oembed_data jsonb NOT NULL, product_id int REFERENCES product_product, metadata jsonb, private_metadata jsonb);
INSERT INTO product_productmedia (sort_order, image, alt, type, oembed_data, product_id, metadata, private_metadata)
SELECT i % 4, 'products/' || replace(gen.words(i, 393, 2), ' ', '_') || '_' || gen.hex(i, 394, 7) || '.png', initcap(gen.words(i, 393, 2)), 'IMAGE', '{}', 1 + i % 400, '{}', '{}'
FROM generate_series(1, 800) i;

CREATE TABLE warehouse_warehouse (
  id uuid PRIMARY KEY, name varchar(250) NOT NULL, slug varchar(255) NOT NULL UNIQUE, email varchar(254) NOT NULL, address_id int NOT NULL REFERENCES account_address,
  is_private boolean NOT NULL DEFAULT true, click_and_collect_option varchar(30) NOT NULL, metadata jsonb, private_metadata jsonb);
INSERT INTO warehouse_warehouse SELECT md5('wh' || i)::uuid, 'Warehouse ' || gen.city(i, 395), 'warehouse-' || i, 'warehouse' || i || '@velo.example.com', i,
  true, 'disabled', '{}', '{}' FROM generate_series(1, 6) i;
