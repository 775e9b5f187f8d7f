-- Create the database master key (binds @master_key_password)
DECLARE @sql nvarchar(max);
IF NOT EXISTS (SELECT 1 FROM sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##')
BEGIN
SET @sql = N'CREATE MASTER KEY ENCRYPTION BY PASSWORD = N''' + REPLACE(@master_key_password, N'''', N'''''') + N'''';
EXEC sys.sp_executesql @sql;
END;
GO
-- Create the endpoint certificate (binds @private_key_password)
DECLARE @sql nvarchar(max);
IF NOT EXISTS (SELECT 1 FROM sys.certificates WHERE name = N'dbm_certificate')
    CREATE CERTIFICATE [dbm_certificate] WITH SUBJECT = N'dbm';
IF NOT EXISTS (SELECT 1 FROM sys.dm_os_file_exists(N'/var/opt/mssql/data/dbm_certificate.cer') WHERE file_exists = 1)
BEGIN
SET @sql = N'BACKUP CERTIFICATE [dbm_certificate] TO FILE = N''/var/opt/mssql/data/dbm_certificate.cer'' WITH PRIVATE KEY (FILE = N''/var/opt/mssql/data/dbm_certificate.pvk'', ENCRYPTION BY PASSWORD = N''' + REPLACE(@private_key_password, N'''', N'''''') + N''')';
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
-- Create the availability group
IF NOT EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = N'ag1')
    CREATE AVAILABILITY GROUP [ag1]
    WITH (DB_FAILOVER = ON, CLUSTER_TYPE = EXTERNAL)
    FOR REPLICA ON
        N'sql-0' WITH (
            ENDPOINT_URL = N'tcp://sql-0.db.internal:5022',
            AVAILABILITY_MODE = SYNCHRONOUS_COMMIT,
            FAILOVER_MODE = EXTERNAL,
            SEEDING_MODE = AUTOMATIC
        ),
        N'sql-1' WITH (
            ENDPOINT_URL = N'tcp://sql-1.db.internal:5022',
            AVAILABILITY_MODE = SYNCHRONOUS_COMMIT,
            FAILOVER_MODE = EXTERNAL,
            SEEDING_MODE = AUTOMATIC
        ),
        N'sql-2' WITH (
            ENDPOINT_URL = N'tcp://10.0.0.7:5022',
            AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT,
            FAILOVER_MODE = EXTERNAL,
            SEEDING_MODE = AUTOMATIC
        );
ALTER AVAILABILITY GROUP [ag1] GRANT CREATE ANY DATABASE;
GO
