package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// An xrd is the part of a Crossplane v2 CompositeResourceDefinition that
// its CRD is made of.
type xrd struct {
	Spec struct {
		Scope    apiextensionsv1.ResourceScope                 `json:"scope"`
		Group    string                                        `json:"group"`
		Names    apiextensionsv1.CustomResourceDefinitionNames `json:"names"`
		Versions []struct {
			Name                     string                                           `json:"name"`
			Served                   bool                                             `json:"served"`
			AdditionalPrinterColumns []apiextensionsv1.CustomResourceColumnDefinition `json:"additionalPrinterColumns"`
			Schema                   struct {
				OpenAPIV3Schema apiextensionsv1.JSONSchemaProps `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// WriteXRDCRD writes into dir the CRD that Crossplane core would make of a
// v2 XRD (file), so that a test can create and read its composite
// resources on an API server without running core: the XRD's schema, with
// core's spec.crossplane (composition and resource references) and
// status.conditions kept as they are written. The first version stores.
func WriteXRDCRD(t testing.TB, file, dir string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	x := &xrd{}
	if err := yaml.Unmarshal(b, x); err != nil {
		t.Fatalf("cannot read the XRD %s: %v", file, err)
	}
	preserve := true
	names := x.Spec.Names
	if names.ListKind == "" {
		names.ListKind = names.Kind + "List"
	}
	if names.Singular == "" {
		names.Singular = strings.ToLower(names.Kind)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: names.Plural + "." + x.Spec.Group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: x.Spec.Group,
			Names: names,
			Scope: x.Spec.Scope,
		},
	}
	for i, v := range x.Spec.Versions {
		s := v.Schema.OpenAPIV3Schema
		spec := s.Properties["spec"]
		if spec.Properties == nil {
			spec.Properties = map[string]apiextensionsv1.JSONSchemaProps{}
		}
		spec.Properties["crossplane"] = apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: &preserve}
		s.Properties["spec"] = spec
		status := s.Properties["status"]
		if status.Properties == nil {
			status.Properties = map[string]apiextensionsv1.JSONSchemaProps{}
		}
		status.Properties["conditions"] = apiextensionsv1.JSONSchemaProps{
			Type:  "array",
			Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: &preserve}},
		}
		s.Properties["status"] = status
		crd.Spec.Versions = append(crd.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{
			Name:                     v.Name,
			Served:                   v.Served,
			Storage:                  i == 0,
			Schema:                   &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &s},
			Subresources:             &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
			AdditionalPrinterColumns: v.AdditionalPrinterColumns,
		})
	}
	out, err := yaml.Marshal(crd)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, crd.Name+".yaml"), out, 0o600); err != nil {
		t.Fatal(err)
	}
}
