-- The reference staging schema of the inventory platform: users with roles and permissions,
-- locations, products, items (parents and children) and their movements, plus the storefront
-- (customers, orders, payments) and operational tables (audit_log, sessions).
-- Production and staging share this schema; seeders and the copy pipeline are tested on it.

-- citext: emails compare case-insensitively, as users type them.
CREATE EXTENSION IF NOT EXISTS citext;

-- Keeps updated_at honest on every UPDATE.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TABLE roles (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE permissions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
    description text NOT NULL DEFAULT ''
);

CREATE TABLE role_permissions (
    role_id       bigint NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_id bigint NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_id)
);
CREATE INDEX role_permissions_permission_id_idx ON role_permissions (permission_id);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         citext NOT NULL UNIQUE CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    full_name     text NOT NULL CHECK (full_name <> ''),
    phone         text,
    password_hash text NOT NULL,
    role_id       bigint NOT NULL REFERENCES roles (id),
    is_active     boolean NOT NULL DEFAULT true,
    last_login_ip inet,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_role_id_idx ON users (role_id);
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE locations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code           text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9-]*$'),
    name           text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('warehouse', 'store', 'transit', 'supplier', 'repair')),
    street_address text,
    city           text,
    postcode       text,
    country        char(2) CHECK (country ~ '^[A-Z]{2}$'),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE item_types (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name        text NOT NULL,
    description text NOT NULL DEFAULT ''
);

CREATE TABLE products (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku          text NOT NULL UNIQUE CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]*$'),
    name         text NOT NULL CHECK (name <> ''),
    description  text NOT NULL DEFAULT '',
    item_type_id bigint NOT NULL REFERENCES item_types (id),
    price        numeric(12, 2) NOT NULL CHECK (price >= 0),
    currency     char(3) NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_item_type_id_idx ON products (item_type_id);
CREATE TRIGGER products_set_updated_at BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE items (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    serial         text NOT NULL UNIQUE,
    product_id     bigint NOT NULL REFERENCES products (id),
    parent_item_id bigint REFERENCES items (id) ON DELETE CASCADE,
    location_id    bigint NOT NULL REFERENCES locations (id),
    status         text NOT NULL DEFAULT 'in_stock'
                   CHECK (status IN ('in_stock', 'reserved', 'in_transit', 'sold', 'retired')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_item_id IS DISTINCT FROM id)
);
CREATE INDEX items_product_id_idx ON items (product_id);
CREATE INDEX items_parent_item_id_idx ON items (parent_item_id);
CREATE INDEX items_location_id_idx ON items (location_id);

CREATE TABLE movements (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id          bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    -- NULL for an item's initial movement (its arrival in the system).
    from_location_id bigint REFERENCES locations (id),
    to_location_id   bigint NOT NULL REFERENCES locations (id),
    moved_by         bigint REFERENCES users (id) ON DELETE SET NULL,
    moved_at         timestamptz NOT NULL DEFAULT now(),
    note             text,
    CHECK (from_location_id IS DISTINCT FROM to_location_id)
);
CREATE INDEX movements_item_id_moved_at_idx ON movements (item_id, moved_at);
CREATE INDEX movements_to_location_id_idx ON movements (to_location_id);

CREATE TABLE customers (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          citext NOT NULL UNIQUE CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    full_name      text NOT NULL,
    phone          text,
    street_address text,
    city           text,
    postcode       text,
    country        char(2) CHECK (country ~ '^[A-Z]{2}$'),
    date_of_birth  date CHECK (date_of_birth > '1900-01-01'),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_number     text NOT NULL UNIQUE,
    customer_id      bigint NOT NULL REFERENCES customers (id),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
    total            numeric(12, 2) NOT NULL CHECK (total >= 0),
    currency         char(3) NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    shipping_address text,
    placed_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);

CREATE TABLE order_items (
    order_id   bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no    integer NOT NULL CHECK (line_no > 0),
    product_id bigint NOT NULL REFERENCES products (id),
    quantity   integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_items_product_id_idx ON order_items (product_id);

CREATE TABLE payments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id),
    card_number text NOT NULL CHECK (card_number ~ '^[0-9]{12,19}$'),
    card_last4  char(4) NOT NULL CHECK (card_last4 ~ '^[0-9]{4}$'),
    amount      numeric(12, 2) NOT NULL CHECK (amount > 0),
    status      text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (right(card_number, 4) = card_last4)
);
CREATE INDEX payments_order_id_idx ON payments (order_id);

CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    actor_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    action        text NOT NULL,
    entity        text NOT NULL,
    entity_id     bigint,
    ip_address    inet,
    -- Free-form event details; may hold personal data (emails, names, addresses).
    payload       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_occurred_at_idx ON audit_log (occurred_at);
CREATE INDEX audit_log_actor_user_id_idx ON audit_log (actor_user_id);

CREATE TABLE sessions (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    ip_address inet,
    user_agent text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
