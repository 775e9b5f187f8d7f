package databaseinstance

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/password"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errTrackUsage     = "cannot track ProviderConfig usage"
	errResolvePC      = "cannot resolve provider config"
	errBackend        = "cannot set up the machine backend"
	errEngine         = "unsupported engine %q"
	errTopology       = "topology %q needs exactly %d virtual machine(s), got %d"
	errUnknownTopo    = "unsupported topology %q"
	errGetVM          = "cannot get VirtualMachine %s"
	errVMNotReady     = "VirtualMachine %s is not ready yet"
	errObserveMachine = "cannot observe the machine of VirtualMachine %s"
	errNoMachine      = "the machine of VirtualMachine %s does not exist"
	errGetSecret      = "cannot get admin password Secret %s"
	errNoPassword     = "admin password Secret %s has no key %q and autoGeneratePassword is false"
	errGenerate       = "cannot generate the admin password"
	errWriteSecret    = "cannot write admin password Secret %s"

	defaultAdminUser = "postgres"
)

type connector struct {
	kube     client.Client
	usage    *resource.ProviderConfigUsageTracker
	localDir string
	hooks    hooks
}

// Connect resolves where the instance runs and its admin password.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.TypedExternalClient[*v1alpha1.DatabaseInstance], error) {
	if err := c.usage.Track(ctx, cr); err != nil {
		return nil, errors.Wrap(err, errTrackUsage)
	}
	p := cr.Spec.ForProvider
	if p.Engine != v1alpha1.EnginePostgreSQL {
		return nil, errors.Errorf(errEngine, p.Engine)
	}
	pc, err := providerconfig.Resolve(ctx, c.kube, cr)
	if err != nil {
		return nil, errors.Wrap(err, errResolvePC)
	}
	b, err := local.FromConfig(pc, c.localDir)
	if err != nil {
		return nil, errors.Wrap(err, errBackend)
	}
	if err := checkTopology(p); err != nil {
		return nil, err
	}
	vmName := p.VirtualMachines[0]
	deleting := meta.WasDeleted(cr)
	if deleting {
		names, err := dependents.OnInstance(ctx, c.kube, cr.GetNamespace(), cr.GetName())
		if err != nil {
			return nil, err
		}
		if err := dependents.WaitError(v1alpha1.DatabaseInstanceKind, names); err != nil {
			return nil, err
		}
	}

	m, err := c.machine(ctx, b, cr.GetNamespace(), vmName, deleting)
	if err != nil {
		return nil, err
	}
	if m == nil {
		// A machine that is gone took the instance with it; there is
		// nothing left to delete.
		return &external{vm: vmName}, nil
	}
	adminUser := p.AdminUser
	if adminUser == "" {
		adminUser = defaultAdminUser
	}
	e := &external{
		vm:    vmName,
		inst:  postgresql.NewInstance(m.WorkDir, meta.GetExternalName(cr), p.Version, m.PortRangeStart, adminUser),
		hooks: c.hooks,
	}
	if deleting {
		// Deleting needs no password; do not generate one now.
		return e, nil
	}
	if e.password, err = c.adminPassword(ctx, cr); err != nil {
		return nil, err
	}
	return e, nil
}

func checkTopology(p v1alpha1.DatabaseInstanceParameters) error {
	switch p.Topology {
	case v1alpha1.TopologySingle, "":
		if len(p.VirtualMachines) != 1 {
			return errors.Errorf(errTopology, v1alpha1.TopologySingle, 1, len(p.VirtualMachines))
		}
		return nil
	default:
		return errors.Errorf(errUnknownTopo, p.Topology)
	}
}

// machine returns the local machine of the named VirtualMachine. Unless the
// instance is being deleted the VirtualMachine must be Ready. While deleting,
// a VirtualMachine or machine that is gone yields nil.
func (c *connector) machine(ctx context.Context, b *local.Backend, ns, name string, deleting bool) (*local.Machine, error) {
	vm := &computev1alpha1.VirtualMachine{}
	if err := c.kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, vm); err != nil {
		if deleting && kerrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, errors.Wrapf(err, errGetVM, name)
	}
	if !deleting && vm.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
		return nil, errors.Errorf(errVMNotReady, name)
	}
	m, err := b.Observe(ctx, local.MachineID{Namespace: ns, Name: meta.GetExternalName(vm)})
	if err != nil {
		return nil, errors.Wrapf(err, errObserveMachine, name)
	}
	if m == nil && !deleting {
		return nil, errors.Errorf(errNoMachine, name)
	}
	return m, nil
}

// adminPassword reads the admin password, generating it into the Secret
// when it is missing and autoGeneratePassword is set. The generated Secret
// is owned by the instance so that it goes with it.
func (c *connector) adminPassword(ctx context.Context, cr *v1alpha1.DatabaseInstance) (string, error) {
	ref := cr.Spec.ForProvider.AdminPasswordSecretRef
	nn := types.NamespacedName{Namespace: cr.GetNamespace(), Name: ref.Name}
	s := &corev1.Secret{}
	err := c.kube.Get(ctx, nn, s)
	if err != nil && !kerrors.IsNotFound(err) {
		return "", errors.Wrapf(err, errGetSecret, ref.Name)
	}
	exists := err == nil
	if pw, ok := s.Data[ref.Key]; exists && ok && len(pw) > 0 {
		return string(pw), nil
	}
	if !cr.Spec.ForProvider.AutoGeneratePassword {
		return "", errors.Errorf(errNoPassword, ref.Name, ref.Key)
	}
	pw, err := password.Generate()
	if err != nil {
		return "", errors.Wrap(err, errGenerate)
	}
	if !exists {
		s = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: nn.Namespace, Name: nn.Name}}
		meta.AddOwnerReference(s, meta.AsOwner(meta.TypedReferenceTo(cr, v1alpha1.DatabaseInstanceGroupVersionKind)))
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	s.Data[ref.Key] = []byte(pw)
	if !exists {
		err = c.kube.Create(ctx, s)
	} else {
		// An Update conflicts if someone else wrote the Secret meanwhile,
		// so two writers cannot each believe their password won.
		err = c.kube.Update(ctx, s)
	}
	if err != nil {
		return "", errors.Wrapf(err, errWriteSecret, ref.Name)
	}
	return pw, nil
}
