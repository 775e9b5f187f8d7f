// Package plugin is kubectl dbaas: what an application or platform team
// asks of the platform's Databases from the command line (list, status,
// connect, switchover, catalog). Each command gathers what it needs from
// the API server, hands it to pure functions that decide what to show or
// change (tested as tables), and then prints or acts once.
package plugin
