-- Sample procedures for a DatabaseClass on SQL Server 2019 or later.
--
-- The DBAs own these: the provider only calls them, as remote procedure
-- calls with every input a named parameter (@p_name, @p_team). Load them
-- with sqlcmd as a member of sysadmin (or of dbcreator and securityadmin):
--
--   sqlcmd -S db.example.com -U sa -i procedures.sql
--
-- Each procedure returns its result as rows of ([key], [value]).
--
-- This provider cannot run SQL Server in its test suite (no SQL Server runs
-- on its CI machines); the SQL the provider sends is tested through the
-- driver's interfaces, and these procedures are a starting point to review.

USE master;
GO
IF SCHEMA_ID(N'dba') IS NULL EXEC (N'CREATE SCHEMA dba');
GO
IF OBJECT_ID(N'dba.provisioned', N'U') IS NULL
  CREATE TABLE dba.provisioned (
    db_name    sysname       NOT NULL PRIMARY KEY,
    team       nvarchar(255) NOT NULL,
    created_at datetime2     NOT NULL DEFAULT SYSUTCDATETIME()
  );
GO

-- create_database makes a database, named by the resource's external name,
-- a login <name>_owner and its user as db_owner in the database, and
-- returns the login's credentials. It is safe to call again after a partial
-- failure.
CREATE OR ALTER PROCEDURE dba.create_database
  @p_name sysname,
  @p_team nvarchar(255)
AS
BEGIN
  SET NOCOUNT ON;
  DECLARE @owner sysname = @p_name + N'_owner';
  -- 48 hex digits of randomness, and one of each class the password policy
  -- may ask for.
  DECLARE @pw nvarchar(128) = CONVERT(nvarchar(128), CRYPT_GEN_RANDOM(24), 2) + N'a!';
  DECLARE @sql nvarchar(max);

  IF @p_name IS NULL OR @p_name COLLATE Latin1_General_BIN2 NOT LIKE N'[a-z][a-z0-9_][a-z0-9_]%'
     OR @p_name COLLATE Latin1_General_BIN2 LIKE N'%[^a-z0-9_]%' OR LEN(@p_name) > 41
    THROW 50001, N'database name breaks the naming policy: 3 to 41 lower-case letters, digits or _, starting with a letter', 1;
  IF COALESCE(@p_team, N'') = N''
    THROW 50002, N'every database needs a team: pass parameters.team', 1;

  IF DB_ID(@p_name) IS NULL
  BEGIN
    SET @sql = N'CREATE DATABASE ' + QUOTENAME(@p_name);
    EXEC sys.sp_executesql @sql;
  END;
  IF SUSER_ID(@owner) IS NULL
    SET @sql = N'CREATE LOGIN ' + QUOTENAME(@owner) + N' WITH PASSWORD = ' + QUOTENAME(@pw, N'''')
             + N', DEFAULT_DATABASE = ' + QUOTENAME(@p_name) + N', CHECK_POLICY = ON';
  ELSE
    SET @sql = N'ALTER LOGIN ' + QUOTENAME(@owner) + N' WITH PASSWORD = ' + QUOTENAME(@pw, N'''');
  EXEC sys.sp_executesql @sql;

  -- The user and its role live in the new database.
  SET @sql = N'IF USER_ID(@o) IS NULL EXEC (N''CREATE USER '' + QUOTENAME(@o) + N'' FOR LOGIN '' + QUOTENAME(@o));'
           + N'EXEC sys.sp_addrolemember N''db_owner'', @o;';
  DECLARE @in_db nvarchar(300) = QUOTENAME(@p_name) + N'.sys.sp_executesql';
  EXEC @in_db @sql, N'@o sysname', @o = @owner;

  MERGE dba.provisioned AS t
  USING (SELECT @p_name AS db_name, @p_team AS team) AS s ON t.db_name = s.db_name
  WHEN MATCHED THEN UPDATE SET team = s.team
  WHEN NOT MATCHED THEN INSERT (db_name, team) VALUES (s.db_name, s.team);

  SELECT [key], [value] FROM (VALUES
    (N'username', @owner), (N'password', @pw), (N'database', @p_name)) AS r([key], [value]);
END;
GO

-- rotate_database gives the owner login a new password; the old one stops
-- working for new logins at once.
CREATE OR ALTER PROCEDURE dba.rotate_database
  @p_name sysname
AS
BEGIN
  SET NOCOUNT ON;
  IF NOT EXISTS (SELECT 1 FROM dba.provisioned WHERE db_name = @p_name)
    THROW 50003, N'the database was not provisioned by dba.create_database', 1;
  DECLARE @owner sysname = @p_name + N'_owner';
  DECLARE @pw nvarchar(128) = CONVERT(nvarchar(128), CRYPT_GEN_RANDOM(24), 2) + N'a!';
  DECLARE @sql nvarchar(max) = N'ALTER LOGIN ' + QUOTENAME(@owner) + N' WITH PASSWORD = ' + QUOTENAME(@pw, N'''');
  EXEC sys.sp_executesql @sql;
  SELECT [key], [value] FROM (VALUES (N'username', @owner), (N'password', @pw)) AS r([key], [value]);
END;
GO

-- delete_database drops the database, ending its sessions, and its login.
CREATE OR ALTER PROCEDURE dba.delete_database
  @p_name sysname
AS
BEGIN
  SET NOCOUNT ON;
  IF NOT EXISTS (SELECT 1 FROM dba.provisioned WHERE db_name = @p_name)
    THROW 50004, N'the database was not provisioned by dba.create_database; the DBAs must remove it', 1;
  DECLARE @sql nvarchar(max);
  IF DB_ID(@p_name) IS NOT NULL
  BEGIN
    SET @sql = N'ALTER DATABASE ' + QUOTENAME(@p_name) + N' SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE ' + QUOTENAME(@p_name);
    EXEC sys.sp_executesql @sql;
  END;
  IF SUSER_ID(@p_name + N'_owner') IS NOT NULL
  BEGIN
    SET @sql = N'DROP LOGIN ' + QUOTENAME(@p_name + N'_owner');
    EXEC sys.sp_executesql @sql;
  END;
  DELETE FROM dba.provisioned WHERE db_name = @p_name;
END;
GO

-- The provider's login needs only to call them:
-- CREATE USER dbaas_provisioner FOR LOGIN dbaas_provisioner;
-- GRANT EXECUTE ON dba.create_database TO dbaas_provisioner;
-- GRANT EXECUTE ON dba.rotate_database TO dbaas_provisioner;
-- GRANT EXECUTE ON dba.delete_database TO dbaas_provisioner;
