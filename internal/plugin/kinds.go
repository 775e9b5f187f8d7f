package plugin

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
)

// The kinds the plugin reads. The Database is an XRD's kind, so it has no Go
// type; its version is the one apis/platform/definition.yaml serves.
var (
	databases          = schema.GroupVersionResource{Group: "platform.dbaas.io", Version: "v1alpha1", Resource: "databases"}
	instances          = enginev1alpha1.SchemeGroupVersion.WithResource("databaseinstances")
	backups            = opsv1alpha1.SchemeGroupVersion.WithResource("backups")
	environmentConfigs = schema.GroupVersionResource{Group: "apiextensions.crossplane.io", Version: "v1beta1", Resource: "environmentconfigs"}
	secrets            = corev1.SchemeGroupVersion.WithResource("secrets")
)

// The kinds the plugin knows by name among a Database's composed resources.
const (
	kindDatabaseInstance = "DatabaseInstance"
	kindDatabase         = "Database"
)
