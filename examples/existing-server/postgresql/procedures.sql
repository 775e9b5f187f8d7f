-- Sample procedures for a DatabaseClass on PostgreSQL 13 or later.
--
-- The DBAs own these: the provider only calls them, with every input bound
-- as a parameter. Load them as a superuser:
--
--   psql -h db.example.com -U postgres -f procedures.sql
--
-- PostgreSQL cannot run CREATE DATABASE or DROP DATABASE inside a function,
-- so the functions run those two statements through dblink, over the
-- server's own local socket, as the functions' owner. pg_hba.conf must let
-- that owner in on the socket without a password (Debian's default line
-- "local all postgres peer" does).
--
-- Functions, not procedures: a PostgreSQL procedure cannot return rows, and
-- create and rotate return the new credentials as (key, value) rows.

CREATE EXTENSION IF NOT EXISTS dblink;
CREATE SCHEMA IF NOT EXISTS dba;

-- The DBAs' record of what was provisioned, and for whom.
CREATE TABLE IF NOT EXISTS dba.provisioned (
  database   text PRIMARY KEY,
  team       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- self_exec runs one statement in its own session on this server, so that
-- statements that refuse to run in a transaction can.
CREATE OR REPLACE FUNCTION dba.self_exec(stmt text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT dblink_exec(
    format('host=%s port=%s dbname=postgres user=%s',
      split_part(current_setting('unix_socket_directories'), ',', 1),
      current_setting('port'), current_user),
    stmt)
$$;
REVOKE ALL ON FUNCTION dba.self_exec(text) FROM PUBLIC;

-- create_database makes a database, named by the resource's external name,
-- owned by a new login role <name>_owner, and returns that role's
-- credentials. It is safe to call again after a partial failure.
CREATE OR REPLACE FUNCTION dba.create_database(p_name text, p_team text)
RETURNS TABLE (key text, value text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  owner_role text := p_name || '_owner';
  pw         text := replace(gen_random_uuid()::text, '-', '');
BEGIN
  IF p_name !~ '^[a-z][a-z0-9_]{2,40}$' THEN
    RAISE EXCEPTION 'database name "%" breaks the naming policy: 3 to 41 lower-case letters, digits or _, starting with a letter', p_name;
  END IF;
  IF coalesce(p_team, '') = '' THEN
    RAISE EXCEPTION 'every database needs a team: pass parameters.team';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = owner_role) THEN
    EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', owner_role, pw);
  ELSE
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', owner_role, pw);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = p_name) THEN
    PERFORM dba.self_exec(format('CREATE DATABASE %I', p_name));
  END IF;
  EXECUTE format('ALTER DATABASE %I OWNER TO %I', p_name, owner_role);
  INSERT INTO dba.provisioned (database, team) VALUES (p_name, p_team)
    ON CONFLICT (database) DO UPDATE SET team = EXCLUDED.team;
  RETURN QUERY VALUES ('username', owner_role), ('password', pw), ('database', p_name);
END
$$;
REVOKE ALL ON FUNCTION dba.create_database(text, text) FROM PUBLIC;

-- rotate_database gives the owner role a new password; the old one stops
-- working at once.
CREATE OR REPLACE FUNCTION dba.rotate_database(p_name text)
RETURNS TABLE (key text, value text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  owner_role text := p_name || '_owner';
  pw         text := replace(gen_random_uuid()::text, '-', '');
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dba.provisioned WHERE database = p_name) THEN
    RAISE EXCEPTION 'database "%" was not provisioned by dba.create_database', p_name;
  END IF;
  EXECUTE format('ALTER ROLE %I PASSWORD %L', owner_role, pw);
  RETURN QUERY VALUES ('username', owner_role), ('password', pw);
END
$$;
REVOKE ALL ON FUNCTION dba.rotate_database(text) FROM PUBLIC;

-- delete_database drops the database, ending its sessions, and its owner.
CREATE OR REPLACE FUNCTION dba.delete_database(p_name text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dba.provisioned WHERE database = p_name) THEN
    RAISE EXCEPTION 'database "%" was not provisioned by dba.create_database; the DBAs must remove it', p_name;
  END IF;
  PERFORM dba.self_exec(format('DROP DATABASE IF EXISTS %I WITH (FORCE)', p_name));
  EXECUTE format('DROP ROLE IF EXISTS %I', p_name || '_owner');
  DELETE FROM dba.provisioned WHERE database = p_name;
END
$$;
REVOKE ALL ON FUNCTION dba.delete_database(text) FROM PUBLIC;

-- The provider's account calls the functions; it needs nothing else here.
-- GRANT USAGE ON SCHEMA dba TO dbaas_provisioner;
-- GRANT EXECUTE ON FUNCTION dba.create_database(text, text),
--   dba.rotate_database(text), dba.delete_database(text) TO dbaas_provisioner;
