package databaseinstance

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	corev1 "k8s.io/api/core/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errSSHNeeded   = "backend %q installs engines over SSH: set spec.ssh in the provider config"
	errPlayAdmin   = "adminUser %q: over SSH the admin account is the postgres superuser; leave adminUser empty or set it to postgres"
	errPlayVersion = "version %q: over SSH name the major version only, for example \"15\""
	errNoAddress   = "VirtualMachine %s has no address yet"
	errPlayStep    = "VirtualMachine %s"
	errPinHostKey  = "cannot record the SSH host key of VirtualMachine %s"

	// stepConnect is the step a member's status names while the provider
	// cannot log in to its machine.
	stepConnect = "connect over SSH"

	playSuperuser  = "postgres"
	defaultSSHPort = 22
	// dialTimeout bounds logging in to a machine for the first time, so
	// that a machine that drops packets fails the reconcile with a clear
	// cause instead of its deadline.
	dialTimeout = 20 * time.Second
	// knownDialTimeout bounds logging in to a machine whose host key is
	// pinned, which answered before: one cut off from the provider then
	// costs every look this long (the logins run at once), and a failover
	// of a partitioned primary waits for it on each look.
	knownDialTimeout = 5 * time.Second
)

// overSSH reports whether the instance's members run on machines the
// provider reaches over SSH rather than as local processes: on every
// backend but local, and on local when the provider config asks for SSH.
// Single and replicated instances alike: a single one is the replicated
// member code with one member.
func overSSH(pc *apisv1alpha1.ProviderConfigSpec) bool {
	return pc.SSH != nil || pc.Backend != apisv1alpha1.BackendLocal
}

// checkOverSSH refuses what the SSH path cannot do before anything is read
// or dialled, with a message that says what to change. A single instance
// keeps the contract it had under the play: its admin account is the
// postgres superuser, and its version a major one.
func checkOverSSH(pc *apisv1alpha1.ProviderConfigSpec, p v1alpha1.DatabaseInstanceParameters) error {
	if pc.SSH == nil {
		return errors.Errorf(errSSHNeeded, pc.Backend)
	}
	if err := checkTopology(p); err != nil {
		return err
	}
	if p.Topology == v1alpha1.TopologyPrimary {
		return nil
	}
	if p.AdminUser != "" && p.AdminUser != playSuperuser {
		return errors.Errorf(errPlayAdmin, p.AdminUser)
	}
	if strings.Contains(p.Version, ".") {
		return errors.Errorf(errPlayVersion, p.Version)
	}
	return nil
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

// dial logs in to the machine at address, which must present the pinned
// host key when there is one, and returns the key it presented. It only
// reads, so that the members' machines are logged in to at once (see
// logins); pin records a first contact's key.
func (c *connector) dial(ctx context.Context, s *apisv1alpha1.SSHConfig, address string, key []byte, pinned string) (executor.Executor, string, error) {
	user, port := s.User, s.Port
	if user == "" {
		user = apisv1alpha1.DefaultSSHUser
	}
	if port == 0 {
		port = defaultSSHPort
	}
	timeout := dialTimeout
	if pinned != "" {
		timeout = knownDialTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	e, seen, err := executor.DialSSH(dctx, executor.Config{
		Address:       net.JoinHostPort(address, strconv.Itoa(int(port))),
		User:          user,
		PrivateKeyPEM: key,
		KnownHostKey:  pinned,
		Sudo:          s.Sudo == nil || *s.Sudo,
	})
	if err != nil {
		return nil, "", err
	}
	return e, seen, nil
}

// pin takes the outcome of logging in to the member on vm into the
// instance. A failed login is the member's failed step. The host key a
// machine presents is pinned in the instance's status on first contact;
// from then on another key stops the work until someone removes the
// pinned one.
func (c *connector) pin(ctx context.Context, cr *v1alpha1.DatabaseInstance, vm string, l login) (executor.Executor, error) {
	if l.dialErr != nil {
		err := errors.Wrapf(errors.Wrapf(l.dialErr, errStepName, stepConnect), errPlayStep, vm)
		setStep(cr, vm, stepConnect, v1alpha1.StepFailed, err)
		return nil, err
	}
	if cr.Status.AtProvider.SSHHostKeys[vm] == "" {
		if cr.Status.AtProvider.SSHHostKeys == nil {
			cr.Status.AtProvider.SSHHostKeys = map[string]string{}
		}
		cr.Status.AtProvider.SSHHostKeys[vm] = l.seen
		// Recorded now: a create reloads the object before the reconcile
		// writes its status, which would lose a pin kept only in memory
		// and make the next login a first contact again.
		if err := c.kube.Status().Update(ctx, cr); err != nil {
			_ = l.x.Close()
			return nil, errors.Wrapf(err, errPinHostKey, vm)
		}
	}
	return l.x, nil
}
