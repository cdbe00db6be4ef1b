CREATE TABLE shop.orders (
    order_id    bigserial PRIMARY KEY,
    reference   text NOT NULL UNIQUE,
    customer_id uuid NOT NULL REFERENCES shop.customers,
    status      text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped')),
    placed_at   timestamptz NOT NULL DEFAULT now(),
    details     jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE shop.order_lines (
    order_id   bigint NOT NULL REFERENCES shop.orders ON DELETE CASCADE,
    product_id integer NOT NULL REFERENCES shop.products,
    quantity   integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);
