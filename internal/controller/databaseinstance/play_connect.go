package databaseinstance

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	corev1 "k8s.io/api/core/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
)

const (
	errSSHNeeded   = "backend %q installs engines over SSH: set spec.ssh in the provider config"
	errPlayAdmin   = "adminUser %q: over SSH the admin account is the postgres superuser; leave adminUser empty or set it to postgres"
	errPlayVersion = "version %q: over SSH name the major version only, for example \"15\""
	errNoAddress   = "VirtualMachine %s has no address yet"
	errPlayStep    = "VirtualMachine %s"
	errPlayOptions = "cannot plan PostgreSQL on VirtualMachine %s"
	errPinHostKey  = "cannot record the SSH host key of VirtualMachine %s"

	// stepConnect is the step a member's status names while the provider
	// cannot log in to its machine.
	stepConnect = "connect over SSH"

	playSuperuser  = "postgres"
	defaultSSHPort = 22
	// dialTimeout bounds logging in, so that a machine that drops packets
	// fails the reconcile with a clear cause instead of its deadline.
	dialTimeout = 20 * time.Second
)

// usesPlay reports whether members are installed by a play over SSH rather
// than run as local processes: on every backend but local, and on local
// when the provider config asks for SSH.
func usesPlay(pc *apisv1alpha1.ProviderConfigSpec) bool {
	return pc.SSH != nil || pc.Backend != apisv1alpha1.BackendLocal
}

// connectPlay logs in to the instance's machine over SSH, pinning its host
// key on first contact, and plans the play that makes it run PostgreSQL.
func (c *connector) connectPlay(ctx context.Context, cr *v1alpha1.DatabaseInstance, pc *apisv1alpha1.ProviderConfigSpec) (managed.TypedExternalClient[*v1alpha1.DatabaseInstance], error) {
	p := cr.Spec.ForProvider
	if pc.SSH == nil {
		return nil, errors.Errorf(errSSHNeeded, pc.Backend)
	}
	if err := checkTopology(p); err != nil {
		return nil, err
	}
	if p.AdminUser != "" && p.AdminUser != playSuperuser {
		return nil, errors.Errorf(errPlayAdmin, p.AdminUser)
	}
	if strings.Contains(p.Version, ".") {
		return nil, errors.Errorf(errPlayVersion, p.Version)
	}
	deleting := meta.WasDeleted(cr)
	if !deleting {
		if err := checkMemberChange(p, cr.Status.AtProvider); err != nil {
			return nil, err
		}
	}
	name := p.VirtualMachines[0]
	vm, err := c.playMachine(ctx, cr.GetNamespace(), name, deleting)
	if err != nil || vm == nil {
		// A machine gone while deleting took the server with it.
		return &playExternal{vm: name}, err
	}
	e := &playExternal{vm: name, address: vm.Status.AtProvider.Address, kube: c.kube}
	if !deleting {
		if e.password, err = c.adminPassword(ctx, cr); err != nil {
			return nil, err
		}
		if e.published, err = c.publishedPassword(ctx, cr); err != nil {
			return nil, err
		}
	}
	e.opts = playOptions(pc, vm, p, e.password)
	if !deleting {
		if e.tls, err = c.serverCertificate(ctx, cr, pc, certHosts(e.address)); err != nil {
			return nil, err
		}
		e.opts.TLS = &pgvm.ServerTLS{Cert: e.tls.server.Cert, Key: e.tls.server.Key}
		// Planning checks every option, so bad input is refused before the
		// machine is touched; the rules are checked again once the
		// provider's address is known.
		if _, err = pgvm.Plan(e.opts); err != nil {
			return nil, errors.Wrapf(err, errPlayOptions, name)
		}
	}
	key, err := providerconfig.SSHKey(ctx, c.kube, pc.SSH)
	if err != nil {
		return nil, err
	}
	if e.exec, err = c.dial(ctx, cr, pc.SSH, name, e.address, key); err != nil {
		return nil, err
	}
	if !deleting {
		e.opts.HBA = playHBA(pc.Backend == apisv1alpha1.BackendLocal, vm.Status.AtProvider.Address, providerIP(e.exec))
		if e.plan, err = pgvm.Plan(e.opts); err != nil {
			_ = e.exec.Close()
			return nil, errors.Wrapf(err, errPlayOptions, name)
		}
	}
	return e, nil
}

// providerIP is the address the machine sees the provider's connections
// come from: the near end of the SSH connection. The SQL controllers run in
// the same process and reach the machine by the same route.
func providerIP(e executor.Executor) string {
	if l, ok := e.(interface{ LocalIP() net.IP }); ok {
		if ip := l.LocalIP(); ip != nil {
			return ip.String()
		}
	}
	return ""
}

// playMachine returns the VirtualMachine, which must be Ready and have an
// address unless the instance is being deleted; then a VirtualMachine that
// is gone yields nil.
func (c *connector) playMachine(ctx context.Context, ns, name string, deleting bool) (*computev1alpha1.VirtualMachine, error) {
	vm, err := c.getVM(ctx, ns, name, deleting)
	if err != nil || vm == nil {
		return nil, err
	}
	if !deleting && vm.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
		return nil, errors.Errorf(errVMNotReady, name)
	}
	if vm.Status.AtProvider.Address == "" {
		if deleting {
			return nil, nil
		}
		return nil, errors.Errorf(errNoAddress, name)
	}
	return vm, nil
}

// dial logs in to the machine. The host key it presents is pinned in the
// instance's status on first contact; from then on another key stops the
// work until someone removes the pinned one. A failure is the member's
// failed step.
func (c *connector) dial(ctx context.Context, cr *v1alpha1.DatabaseInstance, s *apisv1alpha1.SSHConfig, vm, address string, key []byte) (executor.Executor, error) {
	user, port := s.User, s.Port
	if user == "" {
		user = apisv1alpha1.DefaultSSHUser
	}
	if port == 0 {
		port = defaultSSHPort
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	e, seen, err := executor.DialSSH(dctx, executor.Config{
		Address:       net.JoinHostPort(address, strconv.Itoa(int(port))),
		User:          user,
		PrivateKeyPEM: key,
		KnownHostKey:  cr.Status.AtProvider.SSHHostKeys[vm],
		Sudo:          s.Sudo == nil || *s.Sudo,
	})
	if err != nil {
		err = errors.Wrapf(errors.Wrapf(err, errStepName, stepConnect), errPlayStep, vm)
		setStep(cr, vm, stepConnect, v1alpha1.StepFailed, err)
		return nil, err
	}
	if cr.Status.AtProvider.SSHHostKeys[vm] == "" {
		if cr.Status.AtProvider.SSHHostKeys == nil {
			cr.Status.AtProvider.SSHHostKeys = map[string]string{}
		}
		cr.Status.AtProvider.SSHHostKeys[vm] = seen
		// Recorded now: a create reloads the object before the reconcile
		// writes its status, which would lose a pin kept only in memory
		// and make the next login a first contact again.
		if err := c.kube.Status().Update(ctx, cr); err != nil {
			_ = e.Close()
			return nil, errors.Wrapf(err, errPinHostKey, vm)
		}
	}
	return e, nil
}

// playOptions describe the server the play makes on vm. On the local
// backend it lives below the machine's directory, on the machine's first
// port, started by pg_ctl, since the provider's host has no systemd to
// spare; on a VM it is the distribution's usual layout under systemd.
func playOptions(pc *apisv1alpha1.ProviderConfigSpec, vm *computev1alpha1.VirtualMachine, p v1alpha1.DatabaseInstanceParameters, password string) pgvm.Options {
	o := pgvm.Options{
		Version:           p.Version,
		Settings:          playSettings(p),
		OSUser:            playSuperuser,
		SuperuserPassword: password,
		InstallPackages:   pc.SSH.Packages != apisv1alpha1.PackagesPreinstalled,
		DataDisk:          p.DataDevice,
		ListenAddresses:   []string{"*"},
		Extensions:        p.Extensions,
	}
	if pc.Backend == apisv1alpha1.BackendLocal {
		at := vm.Status.AtProvider
		o.Root, o.Port, o.ServiceMode = at.WorkDir, int(at.PortRangeStart), pgvm.ServicePgCtl
		o.ListenAddresses = []string{at.Address}
	}
	return o
}

// playSettings are the postgresql.conf parameters the spec asks for.
func playSettings(p v1alpha1.DatabaseInstanceParameters) map[string]string {
	s := make(map[string]string, len(p.Parameters)+2)
	for k, v := range p.Parameters {
		s[k] = v
	}
	if p.MaxConnections != nil {
		s["max_connections"] = strconv.Itoa(int(*p.MaxConnections))
	}
	if p.SharedBuffersMB != nil {
		s["shared_buffers"] = strconv.Itoa(int(*p.SharedBuffersMB)) + "MB"
	}
	return s
}
