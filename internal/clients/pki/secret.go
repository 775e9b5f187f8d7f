package pki

// The Secret the provider keeps an instance's CA and server certificate in,
// beside the instance and owned by it. Its name and keys are shared by the
// instance's controller, which writes it, the SQL controllers, which verify
// the server against its CA, and test fixtures that stand in for it.
const (
	// SecretSuffix names an instance's TLS Secret: <instance>-tls.
	SecretSuffix = "-tls"

	// KeyCACert is the PEM CA certificate, in the TLS Secret and in the
	// connection secrets of the instance and its users.
	KeyCACert = "ca.crt"
	// KeyCAKey is the CA's private key; it stays in the TLS Secret.
	KeyCAKey = "ca.key"
	// KeyServerCert and KeyServerKey are the members' server certificate
	// and key (the kubernetes.io/tls key names).
	KeyServerCert = "tls.crt"
	KeyServerKey  = "tls.key"
)

// SecretName is the name of the TLS Secret of the instance name.
func SecretName(instance string) string { return instance + SecretSuffix }
