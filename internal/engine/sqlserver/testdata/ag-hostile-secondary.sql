-- Create the database master key (binds @master_key_password)
DECLARE @sql nvarchar(max);
IF NOT EXISTS (SELECT 1 FROM sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##')
BEGIN
SET @sql = N'CREATE MASTER KEY ENCRYPTION BY PASSWORD = N''' + REPLACE(@master_key_password, N'''', N'''''') + N'''';
EXEC sys.sp_executesql @sql;
END;
GO
-- Restore the endpoint certificate (binds @private_key_password)
DECLARE @sql nvarchar(max);
IF NOT EXISTS (SELECT 1 FROM sys.certificates WHERE name = N'cert]]''')
BEGIN
SET @sql = N'CREATE CERTIFICATE [cert]]]]''] FROM FILE = N''/var/opt/mssql/data/it''''s.cer'' WITH PRIVATE KEY (FILE = N''/var/opt/mssql/data/dbm_certificate.pvk'', DECRYPTION BY PASSWORD = N''' + REPLACE(@private_key_password, N'''', N'''''') + N''')';
EXEC sys.sp_executesql @sql;
END;
GO
-- Create and start the availability group endpoint
IF NOT EXISTS (SELECT 1 FROM sys.database_mirroring_endpoints WHERE name = N'ep''] x')
    CREATE ENDPOINT [ep']] x]
        AS TCP (LISTENER_PORT = 5022)
        FOR DATABASE_MIRRORING (
            ROLE = ALL,
            AUTHENTICATION = CERTIFICATE [cert]]]]'],
            ENCRYPTION = REQUIRED ALGORITHM AES
        );
ALTER ENDPOINT [ep']] x] STATE = STARTED;
GO
-- Join the availability group
IF NOT EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = N'ag]; DROP DATABASE master; --')
    ALTER AVAILABILITY GROUP [ag]]; DROP DATABASE master; --] JOIN WITH (CLUSTER_TYPE = NONE);
ALTER AVAILABILITY GROUP [ag]]; DROP DATABASE master; --] GRANT CREATE ANY DATABASE;
GO
