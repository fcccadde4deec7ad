package pod

import (
	"reflect"
	"slices"
)

// rules completes what the Go types say about each manifest object. The
// decoder accepts exactly the json-tagged fields of the types in types.go;
// this table adds what a struct tag cannot say.
//
// To support a Kubernetes field: add it to the type in types.go, delete it
// from notSupported here, and validate it in validate.go.
type rules struct {
	// notSupported lists core/v1 fields podunit recognises but does not
	// implement, so a valid Kubernetes manifest gets "not supported by
	// podunit" rather than a misleading "unknown field".
	notSupported []string
	// quantities are string fields holding Kubernetes quantities, which
	// Kubernetes also accepts as bare YAML numbers (cpu: 0.5).
	quantities []string
	// why says, for some notSupported fields, why podunit cannot have
	// them.
	why map[string]string
	// intOrString are string fields holding Kubernetes int-or-string
	// values (a port number or name), also written as bare numbers.
	intOrString []string
}

var schema = map[reflect.Type]rules{
	reflect.TypeFor[Pod](): {
		notSupported: []string{"status"},
	},
	reflect.TypeFor[ObjectMeta](): {
		notSupported: []string{
			"generateName", "uid", "resourceVersion", "generation",
			"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
			"ownerReferences", "finalizers", "managedFields", "selfLink",
		},
	},
	reflect.TypeFor[PodSpec](): {
		notSupported: []string{
			"activeDeadlineSeconds", "ephemeralContainers",
			"overhead",
			"resourceClaims", "resources",
			"setHostnameAsFQDN", "subdomain",
		},
	},
	reflect.TypeFor[Container](): {
		notSupported: []string{
			"resizePolicy",
			"stdin", "stdinOnce", "terminationMessagePath",
			"terminationMessagePolicy", "tty", "volumeDevices",
		},
	},
	reflect.TypeFor[EnvVarSource](): {
		notSupported: []string{"fileKeyRef"},
	},
	reflect.TypeFor[ResourceFieldSelector](): {
		quantities: []string{"divisor"},
	},
	reflect.TypeFor[ResourceRequirements](): {
		notSupported: []string{"claims"},
	},
	reflect.TypeFor[ResourceList](): {
		notSupported: []string{"ephemeral-storage", "hugepages-2Mi", "hugepages-1Gi"},
		quantities:   []string{"cpu", "memory"},
	},
	reflect.TypeFor[Volume](): {
		notSupported: []string{
			"awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder",
			"csi", "ephemeral", "fc", "flexVolume",
			"flocker", "gcePersistentDisk", "gitRepo", "glusterfs", "image", "iscsi",
			"nfs", "persistentVolumeClaim", "photonPersistentDisk", "portworxVolume",
			"quobyte", "rbd", "scaleIO", "storageos",
			"vsphereVolume",
		},
	},
	reflect.TypeFor[VolumeProjection](): {
		notSupported: []string{"serviceAccountToken", "clusterTrustBundle", "podCertificate"},
		why: map[string]string{
			"serviceAccountToken": "there is no API server to issue service account tokens",
			"clusterTrustBundle":  "there is no API server holding ClusterTrustBundles",
			"podCertificate":      "there is no API server to sign pod certificates",
		},
	},
	reflect.TypeFor[HTTPGetAction]():   {intOrString: []string{"port"}},
	reflect.TypeFor[TCPSocketAction](): {intOrString: []string{"port"}},
	reflect.TypeFor[EmptyDirVolumeSource](): {
		quantities: []string{"sizeLimit"},
	},
	reflect.TypeFor[PodSecurityContext](): {
		notSupported: []string{
			"appArmorProfile", "fsGroupChangePolicy", "seLinuxChangePolicy",
			"supplementalGroupsPolicy", "sysctls", "windowsOptions",
		},
	},
	reflect.TypeFor[SecurityContext](): {
		notSupported: []string{"appArmorProfile", "procMount", "windowsOptions"},
	},
	reflect.TypeFor[VolumeMount](): {
		notSupported: []string{"mountPropagation", "recursiveReadOnly", "subPathExpr"},
	},
}

// jsonName is the manifest name of a struct field, "" if the field is not
// part of the manifest.
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	for i := 0; i < len(tag); i++ {
		if tag[i] == ',' {
			return tag[:i]
		}
	}
	return tag
}

// fieldIndex finds the struct field spelled name in the manifest, or -1.
func fieldIndex(t reflect.Type, name string) int {
	for i := range t.NumField() {
		if n := jsonName(t.Field(i)); n != "" && n == name {
			return i
		}
	}
	return -1
}

func isNotSupported(t reflect.Type, name string) bool {
	return slices.Contains(schema[t].notSupported, name)
}

// notSupportedMsg is the error for a recognised field podunit refuses.
func notSupportedMsg(t reflect.Type, name string) string {
	if why, ok := schema[t].why[name]; ok {
		return "field is not supported by podunit: " + why
	}
	return "field is not supported by podunit"
}

// takesNumber: a string field that may also be written as a YAML number.
func takesNumber(t reflect.Type, name string) bool {
	return slices.Contains(schema[t].quantities, name) || slices.Contains(schema[t].intOrString, name)
}
