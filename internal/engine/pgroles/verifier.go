package pgroles

import "github.com/dbaas-io/dbaas/internal/clients/ownership"

// RoleVerifier is dbaas.role_verifier(rolename text): the SCRAM verifier
// stored for a role the provider made or imported, as the superuser reads
// it from pg_authid. The User controller compares a password with it
// instead of logging in as the role on every poll, which would cost the
// server a connection and a SCRAM exchange each time. Admin is no
// superuser and may not read pg_authid; this function, the superuser's and
// SECURITY DEFINER, lets it read exactly the verifiers of roles that carry
// an ownership marker and are no superusers (never the superuser's, nor
// the provider's own roles, which carry none). Admin holds CREATEROLE and
// may set these roles' passwords anyway; the verifiers tell it nothing of
// the passwords beyond what an offline guess would.
const RoleVerifier = Schema + ".role_verifier"

// verifierBody is RoleVerifier's SQL body; its search_path is pg_catalog.
const verifierBody = `
SELECT a.rolpassword FROM pg_catalog.pg_authid a
WHERE a.rolname = rolename AND NOT a.rolsuper
AND pg_catalog.starts_with(COALESCE(pg_catalog.shobj_description(a.oid, 'pg_authid'), ''), '` + ownership.MarkerPrefix + `')`
