-- Add a database to the availability group
IF NOT EXISTS (SELECT 1 FROM sys.availability_databases_cluster AS d
    JOIN sys.availability_groups AS g ON g.group_id = d.group_id
    WHERE g.name = N'ag1' AND d.database_name = N'orders')
BEGIN
    ALTER DATABASE [orders] SET RECOVERY FULL;
    BACKUP DATABASE [orders] TO DISK = N'/var/opt/mssql/data/orders.bak';
    ALTER AVAILABILITY GROUP [ag1] ADD DATABASE [orders];
END;
GO
