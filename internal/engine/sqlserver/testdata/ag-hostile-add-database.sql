-- Add a database to the availability group
IF NOT EXISTS (SELECT 1 FROM sys.availability_databases_cluster AS d
    JOIN sys.availability_groups AS g ON g.group_id = d.group_id
    WHERE g.name = N'ag]; DROP DATABASE master; --' AND d.database_name = N'db]; DROP TABLE x; --')
BEGIN
    ALTER DATABASE [db]]; DROP TABLE x; --] SET RECOVERY FULL;
    BACKUP DATABASE [db]]; DROP TABLE x; --] TO DISK = N'/backup/o''neil.bak';
    ALTER AVAILABILITY GROUP [ag]]; DROP DATABASE master; --] ADD DATABASE [db]]; DROP TABLE x; --];
END;
GO
