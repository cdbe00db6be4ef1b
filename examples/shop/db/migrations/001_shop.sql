-- A small shop: staff roles with permissions (a lookup table keyed by its code), customers
-- keyed by uuid (who log in with bcrypt passwords), a category tree, products priced in
-- cents, and orders.
CREATE SCHEMA shop;

CREATE TABLE shop.staff_roles (
    role_id serial PRIMARY KEY,
    slug    varchar(40) NOT NULL UNIQUE,
    label   text
);

CREATE TABLE shop.permissions (
    perm  varchar(80) PRIMARY KEY,
    about text
);

CREATE TABLE shop.role_grants (
    role_id integer NOT NULL REFERENCES shop.staff_roles ON DELETE CASCADE,
    perm    varchar(80) NOT NULL REFERENCES shop.permissions ON DELETE CASCADE,
    PRIMARY KEY (role_id, perm)
);

CREATE TABLE shop.customers (
    customer_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email           varchar(255) NOT NULL UNIQUE,
    display_name    text NOT NULL,
    password_digest text NOT NULL,
    staff_role_id   integer REFERENCES shop.staff_roles,
    joined_on       date NOT NULL DEFAULT current_date
);

CREATE TABLE shop.categories (
    category_id serial PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    parent_id   integer REFERENCES shop.categories
);

CREATE TABLE shop.products (
    product_id  serial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    title       text NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0),
    category_id integer REFERENCES shop.categories,
    tags        text[] NOT NULL DEFAULT '{}'
);
