-- The benchmark's "heavy" dataset: a users-like table where most bytes are personal data in
-- every form a profile rules (plain columns, a jsonb document with paths, an array, a
-- composite, free text), plus payments, orders and an audit log. psql -v people=N.
CREATE TYPE home_address AS (street text, city text, zip text);
CREATE TABLE people (
    id bigint PRIMARY KEY,
    email text NOT NULL UNIQUE,
    full_name text NOT NULL,
    phone text,
    street text,
    city text,
    postcode text,
    born date,
    password_hash text,
    last_ip inet,
    profile jsonb,
    phones text[],
    home home_address,
    notes text,
    created_at timestamptz NOT NULL
);
CREATE TABLE payments (
    id bigint PRIMARY KEY,
    person_id bigint NOT NULL REFERENCES people,
    card_number text,
    holder text,
    amount numeric(10, 2) NOT NULL,
    paid_at timestamptz NOT NULL
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    person_id bigint NOT NULL REFERENCES people,
    shipping_address text,
    total numeric(10, 2) NOT NULL,
    placed_at timestamptz NOT NULL
);
CREATE TABLE audit_log (
    id bigint PRIMARY KEY,
    person_id bigint REFERENCES people,
    ip inet,
    action text NOT NULL,
    at timestamptz NOT NULL
);

INSERT INTO people
SELECT g,
       'person' || g || '.' || left(md5(g::text), 6) || '@mail.example',
       initcap(left(md5('f' || g), 7)) || ' ' || initcap(left(md5('l' || g), 9)),
       '+44 20 ' || lpad((g % 10000)::text, 4, '0') || ' ' || lpad((g % 9973)::text, 4, '0'),
       (g % 999 + 1) || ' ' || initcap(left(md5('s' || g), 8)) || ' Street',
       initcap(left(md5('c' || (g % 5000)), 8)),
       upper(left(md5('p' || g), 3)) || ' ' || (g % 9) || upper(left(md5('q' || g), 2)),
       date '1950-01-01' + (g % 20000),
       '$argon2id$v=19$m=19456,t=2,p=1$' || left(md5('salt' || g), 22) || '$' || md5('h' || g) || left(md5('i' || g), 11),
       ('10.' || (g / 65536 % 256) || '.' || (g / 256 % 256) || '.' || (g % 256))::inet,
       jsonb_build_object(
           'nickname', 'nick' || g,
           'newsletter', g % 2 = 0,
           'contacts', jsonb_build_array(
               jsonb_build_object('type', 'email', 'value', 'alt' || g || '@mail.example'),
               jsonb_build_object('type', 'note', 'value', 'call after 6')),
           'emergency', jsonb_build_object('name', 'Kin ' || g, 'phone', '+44 7700 ' || lpad((g % 999999)::text, 6, '0'))),
       ARRAY['+44 7700 ' || lpad((g % 999999)::text, 6, '0'), '+44 20 7946 ' || lpad((g % 9999)::text, 4, '0')],
       ROW((g % 999 + 1) || ' High Street', 'Town ' || (g % 500), 'AB' || (g % 99) || ' 1CD')::home_address,
       CASE WHEN g % 3 = 0 THEN 'prefers mail to person' || g || '.' || left(md5(g::text), 6) || '@mail.example or a call on +44 20 7946 ' || lpad((g % 9999)::text, 4, '0')
            ELSE 'no special wishes' END,
       timestamptz '2020-01-01' + g * interval '1 minute'
FROM generate_series(1, :people) g;

INSERT INTO payments
SELECT g, g, '4' || lpad((g::bigint * 7919 % 1000000000000000)::text, 15, '0'), 'Holder ' || g, (g % 500) + 0.99,
       timestamptz '2021-01-01' + g * interval '1 minute'
FROM generate_series(1, :people) g;

INSERT INTO orders
SELECT g, (g * 7 % :people) + 1, (g % 999 + 1) || ' Market Road, Town ' || (g % 500) || ', AB' || (g % 99) || ' 1CD',
       (g % 900) + 10.5, timestamptz '2022-01-01' + g * interval '1 minute'
FROM generate_series(1, :people) g;

INSERT INTO audit_log
SELECT g, (g % :people) + 1, ('192.168.' || (g / 256 % 256) || '.' || (g % 256))::inet,
       (ARRAY['login', 'logout', 'update', 'view'])[g % 4 + 1], timestamptz '2023-01-01' + g * interval '1 second'
FROM generate_series(1, 2 * :people) g;
