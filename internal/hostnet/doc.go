// Package hostnet makes hosts with a network of their own out of Linux
// network namespaces: a bridge holding a gateway address, a namespace
// joined to it by a veth with an address of its own, a real OpenSSH sshd
// inside with its own host key, configuration and authorized_keys, and the
// processes of a namespace found, started and stopped by PID. The local
// backend makes such a host of every machine of a provider config with
// spec.local.network, and internal/testing/testhost makes test hosts with
// it. Everything is named by the caller and removed by name or PID;
// nothing else is touched. It needs root, ip and openssh-server.
package hostnet
