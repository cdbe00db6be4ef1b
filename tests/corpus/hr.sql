-- An HR database in the style of the `employees` sample: employees, their departments,
-- titles and salaries over time.
CREATE TYPE employee_gender AS ENUM ('M', 'F');

CREATE TABLE employees (emp_no int PRIMARY KEY, birth_date date NOT NULL, first_name varchar(14) NOT NULL, last_name varchar(16) NOT NULL,
  gender employee_gender NOT NULL, hire_date date NOT NULL);
INSERT INTO employees SELECT 10000 + i, gen.birth_date(i, 91), left(gen.first_name(i, 92), 14), left(gen.last_name(i, 93), 16),
  gen.pick(ARRAY['M','F'], i, 94)::employee_gender, date '1985-01-01' + gen.n(i, 95, 5000)::int FROM generate_series(1, 1000) i;

CREATE TABLE departments (dept_no char(4) PRIMARY KEY, dept_name varchar(40) NOT NULL UNIQUE);
INSERT INTO departments VALUES ('d001', 'Marketing'), ('d002', 'Finance'), ('d003', 'Human Resources'), ('d004', 'Production'),
  ('d005', 'Development'), ('d006', 'Quality Management'), ('d007', 'Sales'), ('d008', 'Research'), ('d009', 'Customer Service');

CREATE TABLE dept_emp (emp_no int NOT NULL REFERENCES employees ON DELETE CASCADE, dept_no char(4) NOT NULL REFERENCES departments ON DELETE CASCADE,
  from_date date NOT NULL, to_date date NOT NULL, PRIMARY KEY (emp_no, dept_no));
INSERT INTO dept_emp SELECT 10000 + i, 'd00' || (1 + i % 9), date '1990-01-01' + i, date '9999-01-01' FROM generate_series(1, 1000) i;

CREATE TABLE dept_manager (emp_no int NOT NULL REFERENCES employees ON DELETE CASCADE, dept_no char(4) NOT NULL REFERENCES departments ON DELETE CASCADE,
  from_date date NOT NULL, to_date date NOT NULL, PRIMARY KEY (emp_no, dept_no));
INSERT INTO dept_manager SELECT 10000 + i, 'd00' || i, date '1991-01-01' + i, date '9999-01-01' FROM generate_series(1, 9) i;

CREATE TABLE titles (emp_no int NOT NULL REFERENCES employees ON DELETE CASCADE, title varchar(50) NOT NULL, from_date date NOT NULL, to_date date,
  PRIMARY KEY (emp_no, title, from_date));
INSERT INTO titles SELECT 10000 + i, gen.pick(ARRAY['Engineer','Senior Engineer','Staff','Senior Staff','Assistant Engineer','Technique Leader','Manager'], i, 96),
  date '1990-01-01' + i, date '9999-01-01' FROM generate_series(1, 1000) i;

CREATE TABLE salaries (emp_no int NOT NULL REFERENCES employees ON DELETE CASCADE, salary int NOT NULL, from_date date NOT NULL, to_date date NOT NULL,
  PRIMARY KEY (emp_no, from_date));
INSERT INTO salaries SELECT 10001 + i % 1000, 40000 + gen.n(i, 97, 80000)::int, date '1990-01-01' + (i / 1000) * 365, date '1990-01-01' + (i / 1000 + 1) * 365
FROM generate_series(1, 3000) i;
