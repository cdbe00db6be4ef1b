-- A web shop in the style of dellstore2: customers with their card on file, orders and order
-- lines, DVD products with their actor, inventory and reorders.
CREATE TABLE categories (category serial PRIMARY KEY, categoryname varchar(50) NOT NULL);
INSERT INTO categories (categoryname) VALUES ('Action'), ('Animation'), ('Children'), ('Classics'), ('Comedy'), ('Documentary'), ('Drama'), ('Family');

CREATE TABLE customers (customerid serial PRIMARY KEY, firstname varchar(50) NOT NULL, lastname varchar(50) NOT NULL, address1 varchar(50) NOT NULL,
  address2 varchar(50), city varchar(50) NOT NULL, state varchar(50), zip integer, country varchar(50) NOT NULL, region smallint NOT NULL,
  email varchar(50), phone varchar(50), creditcardtype integer NOT NULL, creditcard varchar(50) NOT NULL, creditcardexpiration varchar(50) NOT NULL,
  username varchar(50) NOT NULL UNIQUE, password varchar(50) NOT NULL, age smallint, income integer, gender varchar(1));
INSERT INTO customers (firstname, lastname, address1, address2, city, state, zip, country, region, email, phone, creditcardtype, creditcard,
  creditcardexpiration, username, password, age, income, gender)
SELECT gen.first_name(i, 101), gen.last_name(i, 102), gen.street(i, 103), NULL, gen.city(i, 104), CASE WHEN i % 2 = 0 THEN gen.region(i, 105) END,
  CASE WHEN i % 2 = 0 THEN 10000 + gen.n(i, 106, 89999)::int END, gen.pick(ARRAY['US','Germany','France','Japan','Chile','UK'], i, 107), 1 + i % 2,
  left(gen.email(i, 108), 50), gen.digits('##########', i, 109), 1 + i % 5, gen.card(i, 110), (2027 + i % 5) || '/' || lpad((1 + i % 12)::text, 2, '0'),
  'user' || i, 'password', 18 + i % 70, 20000 + (i % 8) * 20000, gen.pick(ARRAY['M','F'], i, 111)
FROM generate_series(1, 800) i;

CREATE TABLE cust_hist (customerid integer NOT NULL REFERENCES customers ON DELETE CASCADE, orderid integer NOT NULL, prod_id integer NOT NULL);
INSERT INTO cust_hist SELECT 1 + i % 800, i, 1 + i % 500 FROM generate_series(1, 1500) i;

CREATE TABLE products (prod_id serial PRIMARY KEY, category integer NOT NULL, title varchar(50) NOT NULL, actor varchar(50) NOT NULL,
  price numeric(12,2) NOT NULL, special smallint, common_prod_id integer NOT NULL);
INSERT INTO products (category, title, actor, price, special, common_prod_id)
SELECT 1 + i % 8, upper(gen.words(i, 121, 2)), upper(gen.first_name(i, 122) || ' ' || gen.last_name(i, 123)), gen.amount(i, 124, 30), i % 2, i
FROM generate_series(1, 500) i;

CREATE TABLE inventory (prod_id integer PRIMARY KEY, quan_in_stock integer NOT NULL, sales integer NOT NULL);
INSERT INTO inventory SELECT i, gen.n(i, 131, 400)::int, gen.n(i, 132, 100)::int FROM generate_series(1, 500) i;

CREATE TABLE orders (orderid serial PRIMARY KEY, orderdate date NOT NULL, customerid integer REFERENCES customers ON DELETE SET NULL,
  netamount numeric(12,2) NOT NULL, tax numeric(12,2) NOT NULL, totalamount numeric(12,2) NOT NULL);
INSERT INTO orders (orderdate, customerid, netamount, tax, totalamount)
SELECT date '2024-01-01' + i % 365, 1 + i % 800, gen.amount(i, 141, 400), gen.amount(i, 142, 30), gen.amount(i, 141, 400) + gen.amount(i, 142, 30)
FROM generate_series(1, 1500) i;

CREATE TABLE orderlines (orderlineid integer NOT NULL, orderid integer NOT NULL REFERENCES orders ON DELETE CASCADE, prod_id integer NOT NULL,
  quantity smallint NOT NULL, orderdate date NOT NULL, UNIQUE (orderid, orderlineid));
INSERT INTO orderlines SELECT 1 + i % 3, 1 + i / 3, 1 + i % 500, 1 + i % 3, date '2024-01-01' + (i / 3) % 365 FROM generate_series(0, 4499) i;

CREATE TABLE reorder (prod_id integer NOT NULL, date_low date NOT NULL, quan_low integer NOT NULL, date_reordered date, quan_reordered integer, date_expected date);
INSERT INTO reorder SELECT i, date '2024-02-01' + i, i % 10, date '2024-02-02' + i, 100, date '2024-02-10' + i FROM generate_series(1, 60) i;
