-- Sample procedures for a DatabaseClass on MariaDB 10.10 or later.
--
-- The DBAs own these: the provider only calls them, with every input bound
-- as a parameter, by position. Load them with the mariadb client, as an
-- account that may create databases and users and grant privileges:
--
--   mariadb -h db.example.com -u root -p < procedures.sql
--
-- Each procedure returns its result as rows of (key, value).

CREATE DATABASE IF NOT EXISTS dba CHARACTER SET utf8mb4;

-- The DBAs' record of what was provisioned, and for whom.
CREATE TABLE IF NOT EXISTS dba.provisioned (
  db_name    VARCHAR(64) NOT NULL PRIMARY KEY,
  team       VARCHAR(255) NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

DELIMITER //

-- run executes one statement built by the procedures below. Names in it
-- have passed the naming policy and are quoted; values are QUOTE()d.
CREATE OR REPLACE PROCEDURE dba.run(IN stmt TEXT)
  SQL SECURITY DEFINER
BEGIN
  SET @dba_stmt = stmt;
  PREPARE s FROM @dba_stmt;
  EXECUTE s;
  DEALLOCATE PREPARE s;
  -- Do not leave a password behind in a session variable.
  SET @dba_stmt = NULL;
END //

-- create_database makes a database, named by the resource's external name,
-- and an account <name>_owner with every privilege on it, and returns the
-- account's credentials. It is safe to call again after a partial failure.
CREATE OR REPLACE PROCEDURE dba.create_database(IN p_name VARCHAR(64), IN p_team VARCHAR(255))
  SQL SECURITY DEFINER
BEGIN
  DECLARE owner VARCHAR(80) DEFAULT CONCAT(p_name, '_owner');
  DECLARE pw VARCHAR(64) DEFAULT HEX(RANDOM_BYTES(16));
  DECLARE msg VARCHAR(512);
  -- BINARY: REGEXP on a case-insensitive string would accept upper case.
  IF p_name IS NULL OR NOT (BINARY p_name REGEXP '^[a-z][a-z0-9_]{2,40}$') THEN
    SET msg = CONCAT('database name "', COALESCE(p_name, ''), '" breaks the naming policy: 3 to 41 lower-case letters, digits or _, starting with a letter');
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;
  END IF;
  IF COALESCE(p_team, '') = '' THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'every database needs a team: pass parameters.team';
  END IF;
  CALL dba.run(CONCAT('CREATE DATABASE IF NOT EXISTS `', p_name, '` CHARACTER SET utf8mb4'));
  CALL dba.run(CONCAT('CREATE USER IF NOT EXISTS ', QUOTE(owner), '@''%'''));
  CALL dba.run(CONCAT('ALTER USER ', QUOTE(owner), '@''%'' IDENTIFIED BY ', QUOTE(pw)));
  CALL dba.run(CONCAT('GRANT ALL PRIVILEGES ON `', p_name, '`.* TO ', QUOTE(owner), '@''%'''));
  INSERT INTO dba.provisioned (db_name, team) VALUES (p_name, p_team)
    ON DUPLICATE KEY UPDATE team = VALUES(team);
  SELECT 'username' AS `key`, owner AS `value`
  UNION ALL SELECT 'password', pw
  UNION ALL SELECT 'database', p_name;
END //

-- rotate_database gives the owner account a new password; the old one stops
-- working for new logins at once.
CREATE OR REPLACE PROCEDURE dba.rotate_database(IN p_name VARCHAR(64))
  SQL SECURITY DEFINER
BEGIN
  DECLARE owner VARCHAR(80) DEFAULT CONCAT(p_name, '_owner');
  DECLARE pw VARCHAR(64) DEFAULT HEX(RANDOM_BYTES(16));
  DECLARE msg VARCHAR(512);
  IF NOT EXISTS (SELECT 1 FROM dba.provisioned WHERE db_name = p_name) THEN
    SET msg = CONCAT('database "', COALESCE(p_name, ''), '" was not provisioned by dba.create_database');
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;
  END IF;
  CALL dba.run(CONCAT('ALTER USER ', QUOTE(owner), '@''%'' IDENTIFIED BY ', QUOTE(pw)));
  SELECT 'username' AS `key`, owner AS `value`
  UNION ALL SELECT 'password', pw;
END //

-- delete_database drops the database and its owner account.
CREATE OR REPLACE PROCEDURE dba.delete_database(IN p_name VARCHAR(64))
  SQL SECURITY DEFINER
BEGIN
  DECLARE msg VARCHAR(512);
  IF NOT EXISTS (SELECT 1 FROM dba.provisioned WHERE db_name = p_name) THEN
    SET msg = CONCAT('database "', COALESCE(p_name, ''), '" was not provisioned by dba.create_database; the DBAs must remove it');
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;
  END IF;
  CALL dba.run(CONCAT('DROP DATABASE IF EXISTS `', p_name, '`'));
  CALL dba.run(CONCAT('DROP USER IF EXISTS ', QUOTE(CONCAT(p_name, '_owner')), '@''%'''));
  DELETE FROM dba.provisioned WHERE db_name = p_name;
END //

DELIMITER ;

-- The provider's account needs only to call them:
-- GRANT EXECUTE ON PROCEDURE dba.create_database TO 'dbaas_provisioner'@'%';
-- GRANT EXECUTE ON PROCEDURE dba.rotate_database TO 'dbaas_provisioner'@'%';
-- GRANT EXECUTE ON PROCEDURE dba.delete_database TO 'dbaas_provisioner'@'%';
