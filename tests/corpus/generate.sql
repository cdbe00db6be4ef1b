-- Value generators for the labeled corpus: deterministic functions of a row number `i` (and
-- a salt, so two columns of a row differ), giving the shapes real data has — national and
-- international phone and fax formats, extensions, non-ASCII names and e-mail addresses,
-- postcodes of several countries, Stripe-like and hex ids, floats. Loaded into schema `gen`
-- before a corpus schema's file, and dropped after it.
CREATE SCHEMA gen;

-- A well-spread number in [0, n) for row i and salt s.
CREATE FUNCTION gen.n(i int, s int, n bigint) RETURNS bigint IMMUTABLE LANGUAGE sql AS
$$ SELECT ('x' || substr(md5(i || ':' || s), 1, 12))::bit(48)::bigint % n $$;

CREATE FUNCTION gen.pick(items text[], i int, s int) RETURNS text IMMUTABLE LANGUAGE sql AS
$$ SELECT items[1 + gen.n(i, s, array_length(items, 1))] $$;

-- Each `#` of pattern replaced by a digit.
CREATE FUNCTION gen.digits(pattern text, i int, s int) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT string_agg(CASE WHEN c = '#' THEN gen.n(i, (s * 31 + k)::int, 10)::text ELSE c END, '' ORDER BY k)
  FROM unnest(string_to_array(pattern, NULL)) WITH ORDINALITY AS t(c, k)
$$;

CREATE FUNCTION gen.first_name(i int, s int DEFAULT 1) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT gen.pick(ARRAY['Anna','José','Zoë','Björn','Łukasz','Mary','Kenji','Fatima','Olivia',
    'Noah','Chloé','Søren','Ana','Matteo','Ingrid','Pedro','Yuki','Amélie','Liam','Grace',
    'Mateus','Aoife','Dmitri','Elif','Hannah','Oskar','Renée','Tomás','Wei','Nadia'], i, s)
$$;

CREATE FUNCTION gen.last_name(i int, s int DEFAULT 2) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT gen.pick(ARRAY['García','Müller','Smith','Kowalski','Dubois','Rossi','Tanaka','Jensen',
    'Silva','O''Brien','Nguyen','Svensson','Novák','Hernández','Schäfer','Byrne','Yılmaz',
    'Petrov','Andersen','Costa','Lefèvre','Walker','Moreau','Nakamura','Johansson','Fernández',
    'Kaya','Bauer','Lindqvist','Okafor'], i, s)
$$;

CREATE FUNCTION gen.full_name(i int, s int DEFAULT 3) RETURNS text IMMUTABLE LANGUAGE sql AS
$$ SELECT gen.first_name(i, s) || ' ' || gen.last_name(i, s + 1) $$;

-- An e-mail address: about half with a non-ASCII local part or domain.
CREATE FUNCTION gen.email(i int, s int DEFAULT 4) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT lower(replace(gen.pick(ARRAY[gen.first_name(i, s) || '.' || gen.last_name(i, s + 1),
      gen.first_name(i, s) || i, left(gen.first_name(i, s), 1) || gen.last_name(i, s + 1) || (i % 97),
      gen.last_name(i, s + 1) || '_' || (i % 1000)], i, s + 2), ' ', ''))
    || '@' || gen.pick(ARRAY['mail.example.com','exämple.com','correo.example.es','post.example.de',
      'posteo.example','müller-bau.example','yahoo.example.co.uk','inbox.example.fr'], i, s + 3)
$$;

-- A phone number in one of the formats people write: national and international.
CREATE FUNCTION gen.phone(i int, s int DEFAULT 5) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT gen.digits(gen.pick(ARRAY['+1 (###) 555-####','###-555-####','(###) 555-####',
    '0##-#######','0###-#####','##.##.##.##','0# ## ## ## ##','+33 # ## ## ## ##',
    '+44 ## #### ####','0#### ######','+49 ## #######','(#) ###-####','## ## ## ##',
    '+55 (##) #####-####','0#-### ## ##','+81 ##-####-####','1 (##) 500 555-####',
    '+353 # ### ####','0### ### ####','+46 ## ### ## ##'], i, s), i, s)
$$;

-- An E.164 number, as phone-number libraries store them.
CREATE FUNCTION gen.phone_e164(i int, s int DEFAULT 6) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT gen.digits(gen.pick(ARRAY['+1##########','+44##########','+49#########','+33#########',
    '+4670#######'], i, s), i, s)
$$;

CREATE FUNCTION gen.extension(i int, s int DEFAULT 7) RETURNS text IMMUTABLE LANGUAGE sql AS
$$ SELECT gen.digits(gen.pick(ARRAY['###','####','##','x###','ext. ###'], i, s), i, s) $$;

CREATE FUNCTION gen.street(i int, s int DEFAULT 8) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE WHEN gen.n(i, s, 2) = 0
    THEN (1 + gen.n(i, s + 1, 250)) || ' ' || gen.pick(ARRAY['Kingsway','Maple Avenue',
      'Rue du Moulin','High Street','Elm Road','Boulevard Haussmann','Harbour Lane','Oak Drive'], i, s + 2)
    ELSE gen.pick(ARRAY['Lindenallee','Calle Mayor','Via Roma','ul. Długa','Hauptstraße',
      'Avenida Paulista','Storgatan','Kalverstraat'], i, s + 2) || ' ' || (1 + gen.n(i, s + 1, 250)) END
$$;

CREATE FUNCTION gen.city(i int, s int DEFAULT 9) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT gen.pick(ARRAY['Berlin','Lyon','São Paulo','Kraków','Zürich','Graz','Aarhus','Sevilla',
    'Cork','Osaka','Toronto','Porto','Malmö','Bergamo','Leeds','Brno','Québec','Ljubljana',
    'Tampere','Gdańsk','Reykjavík','Valparaíso','Izmir','Boston','Perth','Utrecht'], i, s)
$$;

CREATE FUNCTION gen.postcode(i int, s int DEFAULT 10) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT gen.digits(gen.pick(ARRAY['#####','##-###','####','K#A #B#','SW# #QT','#####-###',
    '### ##','#####','####-###','LV-####'], i, s), i, s)
$$;

CREATE FUNCTION gen.region(i int, s int DEFAULT 11) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT gen.pick(ARRAY['Bavaria','Île-de-France','Ontario','California','Andalucía','Munster',
    'Skåne','Lombardy','Queensland','Małopolska'], i, s)
$$;

CREATE FUNCTION gen.birth_date(i int, s int DEFAULT 12) RETURNS date IMMUTABLE LANGUAGE sql AS
$$ SELECT date '1950-01-01' + gen.n(i, s, 18000)::int $$;

CREATE FUNCTION gen.moment(i int, s int DEFAULT 13) RETURNS timestamp IMMUTABLE LANGUAGE sql AS
$$ SELECT timestamp '2019-01-01' + make_interval(secs => gen.n(i, s, 200000000)) $$;

-- A Luhn-valid number: prefix, digits, check digit.
CREATE FUNCTION gen.card(i int, s int DEFAULT 14) RETURNS text IMMUTABLE LANGUAGE plpgsql AS $$
DECLARE
  body text := gen.digits(gen.pick(ARRAY['4###############','5###############','37##############'], i, s), i, s);
  total int := 0; d int; k int;
BEGIN
  body := left(body, length(body) - 1);
  FOR k IN REVERSE length(body)..1 LOOP
    d := substr(body, k, 1)::int;
    IF (length(body) - k) % 2 = 0 THEN d := d * 2; IF d > 9 THEN d := d - 9; END IF; END IF;
    total := total + d;
  END LOOP;
  RETURN body || ((10 - total % 10) % 10)::text;
END $$;

CREATE FUNCTION gen.ip(i int, s int DEFAULT 15) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT (1 + gen.n(i, s, 223)) || '.' || gen.n(i, s + 1, 256) || '.' || gen.n(i, s + 2, 256)
    || '.' || (1 + gen.n(i, s + 3, 254))
$$;

CREATE FUNCTION gen.hex(i int, s int, length int) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT left(md5(i || ':' || s) || md5(s || ':' || i) || md5(i || '-' || s), length)
$$;

-- A payment provider's id: prefix, hex, and now and then a long digit run inside the hex
-- (a Luhn-valid one, so a scan that reads digits inside words finds a "card").
CREATE FUNCTION gen.provider_id(prefix text, i int, s int DEFAULT 16) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT prefix || '_' || gen.hex(i, s, 6)
    || CASE WHEN i % 3 = 0 THEN gen.card(i, s) ELSE gen.hex(i, s + 1, 10) END || gen.hex(i, s + 2, 8)
$$;

-- A value in [0, 1) with 16 significant digits, as float8 prints it.
CREATE FUNCTION gen.fraction(i int, s int DEFAULT 17) RETURNS float8 IMMUTABLE LANGUAGE sql AS
$$ SELECT (gen.n(i, s, 2147483647)::float8 / 2147483647.0 * 3.0) / 3.0 $$;

CREATE FUNCTION gen.amount(i int, s int DEFAULT 18, top int DEFAULT 500) RETURNS numeric IMMUTABLE LANGUAGE sql AS
$$ SELECT round((gen.n(i, s, top * 100) / 100.0)::numeric, 2) $$;

-- Free text that mentions people, the way support staff write it; one in five says nothing personal.
CREATE FUNCTION gen.note(i int, s int DEFAULT 19) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE gen.n(i, s, 5)
    WHEN 0 THEN 'Customer ' || gen.full_name(i, s) || ' asked us to call back on ' || gen.phone(i, s) || '.'
    WHEN 1 THEN 'Leave the parcel with ' || gen.first_name(i, s) || ' next door; e-mail ' || gen.email(i, s) || ' when sent'
    WHEN 2 THEN 'Gift for ' || gen.full_name(i, s + 1) || ', please no invoice in the box'
    WHEN 3 THEN 'Delivery after ' || (8 + i % 9) || ':00, ring twice'
    ELSE 'Spoke to ' || gen.first_name(i, s) || ' about order ' || (10000 + i) || ', refund agreed' END
$$;

CREATE FUNCTION gen.words(i int, s int, count int) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT string_agg(gen.pick(ARRAY['steel','blue','frame','road','light','classic','mountain',
    'helmet','lock','compact','pro','touring','sport','chain','wheel','saddle','carbon','trail'],
    i, s * 7 + k::int), ' ') FROM generate_series(1, count) k
$$;
