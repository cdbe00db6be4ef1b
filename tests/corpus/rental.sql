-- A DVD rental store in the style of Sakila/Pagila: films and their actors, stores and staff,
-- customers with addresses, rentals and payments.
CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');
CREATE DOMAIN year AS integer CHECK (VALUE >= 1901 AND VALUE <= 2155);

CREATE TABLE actor (actor_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, last_update timestamptz NOT NULL DEFAULT now());
INSERT INTO actor (first_name, last_name, last_update) SELECT upper(gen.first_name(i, 31)), upper(gen.last_name(i, 32)), gen.moment(i) FROM generate_series(1, 200) i;

CREATE TABLE category (category_id serial PRIMARY KEY, name text NOT NULL, last_update timestamptz NOT NULL DEFAULT now());
INSERT INTO category (name) VALUES ('Action'), ('Animation'), ('Children'), ('Classics'), ('Comedy'), ('Documentary'), ('Drama');

CREATE TABLE language (language_id serial PRIMARY KEY, name character(20) NOT NULL, last_update timestamptz NOT NULL DEFAULT now());
INSERT INTO language (name) VALUES ('English'), ('Italian'), ('Japanese'), ('French');

CREATE TABLE film (film_id serial PRIMARY KEY, title text NOT NULL, description text, release_year year, language_id int NOT NULL REFERENCES language,
  rental_duration smallint NOT NULL DEFAULT 3, rental_rate numeric(4,2) NOT NULL DEFAULT 4.99, length smallint,
  replacement_cost numeric(5,2) NOT NULL DEFAULT 19.99, rating mpaa_rating DEFAULT 'G', special_features text[], fulltext tsvector NOT NULL,
  last_update timestamptz NOT NULL DEFAULT now());
INSERT INTO film (title, description, release_year, language_id, rental_duration, rental_rate, length, rating, special_features, fulltext, last_update)
SELECT upper(gen.words(i, 41, 2)), 'A ' || gen.words(i, 42, 2) || ' story of a ' || gen.pick(ARRAY['dentist','robot','monkey','astronaut','cat'], i, 43)
  || ' who must ' || gen.pick(ARRAY['chase','outrace','defeat','meet'], i, 44) || ' a ' || gen.pick(ARRAY['lumberjack','crocodile','feminist','boat'], i, 45) || ' in ' || gen.city(i, 46),
  2006, 1 + i % 4, 3 + i % 5, gen.pick(ARRAY['0.99','2.99','4.99'], i, 47)::numeric, 46 + i % 140, gen.pick(ARRAY['G','PG','PG-13','R','NC-17'], i, 48)::mpaa_rating,
  ARRAY[gen.pick(ARRAY['Trailers','Commentaries','Deleted Scenes','Behind the Scenes'], i, 49)], to_tsvector('english', gen.words(i, 41, 2)), gen.moment(i)
FROM generate_series(1, 400) i;

CREATE TABLE film_actor (actor_id int NOT NULL REFERENCES actor, film_id int NOT NULL REFERENCES film, last_update timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (actor_id, film_id));
INSERT INTO film_actor SELECT 1 + (i * 7) % 200, 1 + i % 400, gen.moment(i) FROM generate_series(1, 1500) i ON CONFLICT DO NOTHING;

CREATE TABLE film_category (film_id int NOT NULL REFERENCES film, category_id int NOT NULL REFERENCES category, last_update timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (film_id, category_id));
INSERT INTO film_category SELECT i, 1 + i % 7, gen.moment(i) FROM generate_series(1, 400) i;

CREATE TABLE country (country_id serial PRIMARY KEY, country text NOT NULL, last_update timestamptz NOT NULL DEFAULT now());
INSERT INTO country (country) VALUES ('Germany'), ('France'), ('Brazil'), ('Poland'), ('Switzerland'), ('Japan'), ('Canada'), ('Portugal');

CREATE TABLE city (city_id serial PRIMARY KEY, city text NOT NULL, country_id int NOT NULL REFERENCES country, last_update timestamptz NOT NULL DEFAULT now());
INSERT INTO city (city, country_id) SELECT DISTINCT gen.city(i), 1 + i % 8 FROM generate_series(1, 60) i;

CREATE TABLE address (address_id serial PRIMARY KEY, address text NOT NULL, address2 text, district text NOT NULL, city_id int NOT NULL REFERENCES city,
  postal_code text, phone text NOT NULL, last_update timestamptz NOT NULL DEFAULT now());
INSERT INTO address (address, address2, district, city_id, postal_code, phone, last_update)
SELECT gen.street(i, 51), CASE WHEN i % 6 = 0 THEN '' END, gen.region(i, 52), 1 + i % (SELECT count(*) FROM city), gen.postcode(i, 53),
  replace(replace(replace(replace(gen.phone(i, 54), ' ', ''), '-', ''), '(', ''), ')', ''), gen.moment(i)
FROM generate_series(1, 700) i;

CREATE TABLE staff (staff_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, address_id int NOT NULL REFERENCES address,
  email text, store_id int NOT NULL, active boolean NOT NULL DEFAULT true, username text NOT NULL, password text, last_update timestamptz NOT NULL DEFAULT now(), picture bytea);
INSERT INTO staff (first_name, last_name, address_id, email, store_id, username, password, picture)
SELECT gen.first_name(i, 61), gen.last_name(i, 62), i, gen.email(i, 61), 1 + i % 2, gen.first_name(i, 61), md5('pw' || i), decode(md5('face' || i), 'hex')
FROM generate_series(1, 8) i;

CREATE TABLE store (store_id serial PRIMARY KEY, manager_staff_id int NOT NULL REFERENCES staff, address_id int NOT NULL REFERENCES address, last_update timestamptz NOT NULL DEFAULT now());
INSERT INTO store (manager_staff_id, address_id) VALUES (1, 9), (2, 10);

CREATE TABLE customer (customer_id serial PRIMARY KEY, store_id int NOT NULL REFERENCES store, first_name text NOT NULL, last_name text NOT NULL, email text,
  address_id int NOT NULL REFERENCES address, activebool boolean NOT NULL DEFAULT true, create_date date NOT NULL DEFAULT current_date,
  last_update timestamptz DEFAULT now(), active int);
INSERT INTO customer (store_id, first_name, last_name, email, address_id, create_date, last_update, active)
SELECT 1 + i % 2, upper(gen.first_name(i, 71)), upper(gen.last_name(i, 72)), upper(gen.first_name(i, 71) || '.' || gen.last_name(i, 72)) || '@sakilacustomer.org',
  10 + i, date '2022-02-14', gen.moment(i), 1 FROM generate_series(1, 599) i;

CREATE TABLE inventory (inventory_id serial PRIMARY KEY, film_id int NOT NULL REFERENCES film, store_id int NOT NULL REFERENCES store, last_update timestamptz NOT NULL DEFAULT now());
INSERT INTO inventory (film_id, store_id) SELECT 1 + i % 400, 1 + i % 2 FROM generate_series(1, 1000) i;

CREATE TABLE rental (rental_id serial PRIMARY KEY, rental_date timestamptz NOT NULL, inventory_id int NOT NULL REFERENCES inventory,
  customer_id int NOT NULL REFERENCES customer, return_date timestamptz, staff_id int NOT NULL REFERENCES staff, last_update timestamptz NOT NULL DEFAULT now());
INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id) SELECT gen.moment(i), 1 + i % 1000, 1 + i % 599, gen.moment(i) + interval '3 days', 1 + i % 8
FROM generate_series(1, 2000) i;

CREATE TABLE payment (payment_id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customer, staff_id int NOT NULL REFERENCES staff,
  rental_id int NOT NULL REFERENCES rental, amount numeric(5,2) NOT NULL, payment_date timestamptz NOT NULL);
INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) SELECT 1 + i % 599, 1 + i % 8, i, gen.amount(i, 81, 12), gen.moment(i) FROM generate_series(1, 2000) i;
