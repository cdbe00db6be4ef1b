-- An ERP/sales database in the style of AdventureWorks (its PostgreSQL port: lower-case
-- names, one schema per area), with a vendor-contact table for fax and extension numbers.
CREATE SCHEMA person;
CREATE SCHEMA humanresources;
CREATE SCHEMA sales;
CREATE SCHEMA production;
CREATE SCHEMA purchasing;

CREATE TABLE person.person (
  businessentityid int PRIMARY KEY, persontype char(2) NOT NULL, namestyle boolean NOT NULL DEFAULT false,
  title varchar(8), firstname varchar(50) NOT NULL, middlename varchar(50), lastname varchar(50) NOT NULL,
  suffix varchar(10), emailpromotion int NOT NULL DEFAULT 0, demographics xml,
  rowguid uuid NOT NULL, modifieddate timestamp NOT NULL);
INSERT INTO person.person SELECT i, gen.pick(ARRAY['IN','EM','SC','VC'], i, 1), false,
  CASE WHEN i % 4 = 0 THEN gen.pick(ARRAY['Mr.','Ms.','Mrs.','Dr.'], i, 2) END,
  gen.first_name(i), CASE WHEN i % 3 = 0 THEN left(gen.first_name(i, 9), 1) || '.' END, gen.last_name(i),
  CASE WHEN i % 40 = 0 THEN 'Jr.' END, i % 3,
  ('<IndividualSurvey><TotalPurchaseYTD>' || gen.amount(i) || '</TotalPurchaseYTD><NumberCarsOwned>' || i % 4 || '</NumberCarsOwned></IndividualSurvey>')::xml,
  md5(i::text)::uuid, gen.moment(i)
FROM generate_series(1, 600) i;

CREATE TABLE person.emailaddress (
  businessentityid int REFERENCES person.person, emailaddressid int, emailaddress varchar(80),
  rowguid uuid NOT NULL, modifieddate timestamp NOT NULL, PRIMARY KEY (businessentityid, emailaddressid));
INSERT INTO person.emailaddress SELECT i, i, gen.email(i), md5('e' || i)::uuid, gen.moment(i) FROM generate_series(1, 600) i;

CREATE TABLE person.phonenumbertype (phonenumbertypeid int PRIMARY KEY, name varchar(50) NOT NULL, modifieddate timestamp NOT NULL);
INSERT INTO person.phonenumbertype VALUES (1, 'Cell', '2019-04-30'), (2, 'Home', '2019-04-30'), (3, 'Work', '2019-04-30');

CREATE TABLE person.personphone (
  businessentityid int REFERENCES person.person, phonenumber varchar(25), phonenumbertypeid int REFERENCES person.phonenumbertype,
  modifieddate timestamp NOT NULL, PRIMARY KEY (businessentityid, phonenumber, phonenumbertypeid));
INSERT INTO person.personphone SELECT i, gen.phone(i), 1 + i % 3, gen.moment(i) FROM generate_series(1, 600) i;

CREATE TABLE person.stateprovince (
  stateprovinceid int PRIMARY KEY, stateprovincecode char(3) NOT NULL, countryregioncode varchar(3) NOT NULL, name varchar(50) NOT NULL);
INSERT INTO person.stateprovince SELECT i, upper(left(gen.region(i, 0), 2)), gen.pick(ARRAY['DE','FR','CA','US','ES','IE','SE','IT','AU','PL'], i, 0), gen.region(i, 0)
FROM generate_series(1, 10) i;

CREATE TABLE person.address (
  addressid int PRIMARY KEY, addressline1 varchar(60) NOT NULL, addressline2 varchar(60), city varchar(30) NOT NULL,
  stateprovinceid int NOT NULL REFERENCES person.stateprovince, postalcode varchar(15) NOT NULL,
  rowguid uuid NOT NULL, modifieddate timestamp NOT NULL);
INSERT INTO person.address SELECT i, gen.street(i), CASE WHEN i % 5 = 0 THEN 'Apt. ' || (i % 40) END, gen.city(i),
  1 + i % 10, gen.postcode(i), md5('a' || i)::uuid, gen.moment(i) FROM generate_series(1, 600) i;

CREATE TABLE humanresources.department (departmentid smallint PRIMARY KEY, name varchar(50) NOT NULL, groupname varchar(50) NOT NULL, modifieddate timestamp NOT NULL);
INSERT INTO humanresources.department VALUES (1, 'Engineering', 'Research and Development', '2019-04-30'),
  (2, 'Sales', 'Sales and Marketing', '2019-04-30'), (3, 'Purchasing', 'Inventory Management', '2019-04-30'),
  (4, 'Finance', 'Executive General and Administration', '2019-04-30');

CREATE TABLE humanresources.employee (
  businessentityid int PRIMARY KEY REFERENCES person.person, nationalidnumber varchar(15) NOT NULL,
  loginid varchar(256) NOT NULL, jobtitle varchar(50) NOT NULL, birthdate date NOT NULL, maritalstatus char(1) NOT NULL,
  gender char(1) NOT NULL, hiredate date NOT NULL, salariedflag boolean NOT NULL, vacationhours smallint NOT NULL,
  sickleavehours smallint NOT NULL, currentflag boolean NOT NULL, rowguid uuid NOT NULL, modifieddate timestamp NOT NULL);
INSERT INTO humanresources.employee SELECT i, gen.digits('#########', i, 3), 'adventure-works\' || lower(gen.first_name(i)) || (i % 10),
  gen.pick(ARRAY['Design Engineer','Sales Representative','Buyer','Production Technician','Accountant'], i, 4),
  gen.birth_date(i), gen.pick(ARRAY['M','S'], i, 5), gen.pick(ARRAY['M','F'], i, 6), date '2008-01-01' + (i * 13 % 3000),
  i % 3 = 0, i % 99, i % 70, true, md5('h' || i)::uuid, gen.moment(i)
FROM generate_series(1, 290) i;

CREATE TABLE humanresources.jobcandidate (jobcandidateid int PRIMARY KEY, businessentityid int REFERENCES humanresources.employee, resume text, modifieddate timestamp NOT NULL);
INSERT INTO humanresources.jobcandidate SELECT i, CASE WHEN i % 4 = 0 THEN i END,
  gen.full_name(i, 7) || E'\n' || gen.street(i, 7) || ', ' || gen.city(i, 7) || E'\nPhone: ' || gen.phone(i, 7) || ' E-mail: ' || gen.email(i, 7)
  || E'\nExperience: ' || (2 + i % 15) || ' years as ' || gen.pick(ARRAY['machinist','buyer','engineer'], i, 8), gen.moment(i)
FROM generate_series(1, 40) i;

CREATE TABLE sales.creditcard (creditcardid int PRIMARY KEY, cardtype varchar(50) NOT NULL, cardnumber varchar(25) NOT NULL,
  expmonth smallint NOT NULL, expyear smallint NOT NULL, modifieddate timestamp NOT NULL);
INSERT INTO sales.creditcard SELECT i, gen.pick(ARRAY['Vista','SuperiorCard','Distinguish','ColonialVoice'], i, 1), gen.card(i), 1 + i % 12, 2027 + i % 5, gen.moment(i)
FROM generate_series(1, 400) i;

CREATE TABLE sales.store (businessentityid int PRIMARY KEY, name varchar(50) NOT NULL, salespersonid int, modifieddate timestamp NOT NULL);
INSERT INTO sales.store SELECT i, initcap(gen.words(i, 2, 2)) || ' ' || gen.pick(ARRAY['Bikes','Cycles','Sports','Outlet'], i, 3), 1 + i % 290, gen.moment(i)
FROM generate_series(1, 80) i;

CREATE TABLE sales.customer (customerid int PRIMARY KEY, personid int REFERENCES person.person, storeid int REFERENCES sales.store,
  territoryid int, accountnumber varchar(10) NOT NULL, rowguid uuid NOT NULL, modifieddate timestamp NOT NULL);
INSERT INTO sales.customer SELECT i, i, CASE WHEN i % 7 = 0 THEN 1 + i % 80 END, 1 + i % 10, 'AW' || lpad(i::text, 8, '0'), md5('c' || i)::uuid, gen.moment(i)
FROM generate_series(1, 600) i;

CREATE TABLE sales.salesorderheader (
  salesorderid int PRIMARY KEY, revisionnumber smallint NOT NULL, orderdate timestamp NOT NULL, duedate timestamp NOT NULL,
  shipdate timestamp, status smallint NOT NULL, onlineorderflag boolean NOT NULL, purchaseordernumber varchar(25),
  accountnumber varchar(15), customerid int NOT NULL REFERENCES sales.customer, billtoaddressid int NOT NULL REFERENCES person.address,
  shiptoaddressid int NOT NULL REFERENCES person.address, creditcardid int REFERENCES sales.creditcard, creditcardapprovalcode varchar(15),
  subtotal numeric NOT NULL, taxamt numeric NOT NULL, freight numeric NOT NULL, comment varchar(128), rowguid uuid NOT NULL);
INSERT INTO sales.salesorderheader SELECT i, 8, gen.moment(i), gen.moment(i) + interval '12 days', gen.moment(i) + interval '7 days', 5, i % 2 = 0,
  CASE WHEN i % 2 = 1 THEN 'PO' || gen.digits('##########', i, 4) END, gen.digits('10-40##-######', i, 5), 1 + i % 600, 1 + i % 600, 1 + (i * 7) % 600,
  CASE WHEN i % 3 > 0 THEN 1 + i % 400 END, CASE WHEN i % 3 > 0 THEN gen.digits('######Vi#####', i, 6) END,
  gen.amount(i, 7, 3000), gen.amount(i, 8, 300), gen.amount(i, 9, 90), CASE WHEN i % 6 = 0 THEN gen.note(i) END, md5('o' || i)::uuid
FROM generate_series(1, 1200) i;

CREATE TABLE production.product (productid int PRIMARY KEY, name varchar(50) NOT NULL, productnumber varchar(25) NOT NULL,
  makeflag boolean NOT NULL, color varchar(15), safetystocklevel smallint NOT NULL, listprice numeric NOT NULL, size varchar(5),
  weight numeric(8,2), sellstartdate timestamp NOT NULL);
INSERT INTO production.product SELECT i, initcap(gen.words(i, 1, 3)) || ' ' || i, upper(left(gen.words(i, 1, 1), 2)) || '-' || gen.digits('####', i, 2),
  i % 2 = 0, gen.pick(ARRAY['Black','Red','Silver','Blue',NULL], i, 3), 100 + i % 900, gen.amount(i, 4, 3000),
  gen.pick(ARRAY['S','M','L','XL','48','52'], i, 5), gen.amount(i, 6, 20), gen.moment(i)
FROM generate_series(1, 300) i;

CREATE TABLE production.productphoto (productphotoid int PRIMARY KEY, thumbnailphoto bytea, thumbnailphotofilename varchar(50),
  largephoto bytea, largephotofilename varchar(50), modifieddate timestamp NOT NULL);
INSERT INTO production.productphoto SELECT i, decode(md5('t' || i) || md5('u' || i), 'hex'), lower(replace(gen.words(i, 3, 2), ' ', '_')) || '_small.gif',
  decode(repeat(md5('l' || i), 8), 'hex'), lower(replace(gen.words(i, 3, 2), ' ', '_')) || '_large.gif', gen.moment(i)
FROM generate_series(1, 100) i;

CREATE TABLE production.productreview (productreviewid int PRIMARY KEY, productid int NOT NULL REFERENCES production.product,
  reviewername varchar(50) NOT NULL, reviewdate timestamp NOT NULL, emailaddress varchar(80) NOT NULL, rating int NOT NULL, comments varchar(3850));
INSERT INTO production.productreview SELECT i, 1 + i % 300, gen.full_name(i, 11), gen.moment(i), gen.email(i, 11), 1 + i % 5,
  gen.pick(ARRAY['I bought this for my daughter ', 'Great for commuting, says ', 'Returned it; ask ', 'Works as promised. '], i, 12) || gen.first_name(i, 13) || '.'
FROM generate_series(1, 150) i;

CREATE TABLE purchasing.vendor (businessentityid int PRIMARY KEY, accountnumber varchar(15) NOT NULL, name varchar(50) NOT NULL,
  creditrating smallint NOT NULL, preferredvendorstatus boolean NOT NULL, activeflag boolean NOT NULL, purchasingwebserviceurl varchar(1024));
INSERT INTO purchasing.vendor SELECT i, upper(left(gen.words(i, 4, 1), 6)) || lpad(i::text, 4, '0'), initcap(gen.words(i, 4, 2)) || ' Components',
  1 + i % 5, i % 4 > 0, true, CASE WHEN i % 5 = 0 THEN 'https://vendor' || i || '.example.com/po' END
FROM generate_series(1, 100) i;

-- Who to call at each vendor: a person with a job title, a direct line, a fax and an extension.
CREATE TABLE purchasing.vendorcontact (vendorcontactid int PRIMARY KEY, businessentityid int NOT NULL REFERENCES purchasing.vendor,
  contactname varchar(60) NOT NULL, contacttitle varchar(40), phone varchar(24), fax varchar(24), extension varchar(8), city varchar(30));
INSERT INTO purchasing.vendorcontact SELECT i, 1 + i % 100, gen.full_name(i, 21),
  gen.pick(ARRAY['Sales Representative','Purchasing Manager','Owner','Accounting Manager','Marketing Assistant'], i, 22),
  gen.phone(i, 23), CASE WHEN i % 4 > 0 THEN gen.phone(i, 24) END, CASE WHEN i % 2 = 0 THEN gen.extension(i) END, gen.city(i, 25)
FROM generate_series(1, 200) i;
