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
IF NOT EXISTS (SELECT 1 FROM sys.certificates WHERE name = N'dbm_certificate')
BEGIN
SET @sql = N'CREATE CERTIFICATE [dbm_certificate] FROM FILE = N''/var/opt/mssql/data/dbm_certificate.cer'' WITH PRIVATE KEY (FILE = N''/var/opt/mssql/data/dbm_certificate.pvk'', DECRYPTION BY PASSWORD = N''' + REPLACE(@private_key_password, N'''', N'''''') + N''')';
EXEC sys.sp_executesql @sql;
END;
GO
-- Create and start the availability group endpoint
IF NOT EXISTS (SELECT 1 FROM sys.database_mirroring_endpoints WHERE name = N'Hadr_endpoint')
    CREATE ENDPOINT [Hadr_endpoint]
        AS TCP (LISTENER_PORT = 5022)
        FOR DATABASE_MIRRORING (
            ROLE = ALL,
            AUTHENTICATION = CERTIFICATE [dbm_certificate],
            ENCRYPTION = REQUIRED ALGORITHM AES
        );
ALTER ENDPOINT [Hadr_endpoint] STATE = STARTED;
GO
-- Join the availability group
IF NOT EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = N'ag1')
    ALTER AVAILABILITY GROUP [ag1] JOIN WITH (CLUSTER_TYPE = NONE);
ALTER AVAILABILITY GROUP [ag1] GRANT CREATE ANY DATABASE;
GO
