package tabletop

import (
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// The parts of a scenario only the simulated S3 API reads: Object Lock,
// replication, lifecycle rules, object bodies, storage classes of
// versions and restores of archived objects under way when the exercise
// starts.

// ObjectLock is a bucket's Object Lock configuration: present means
// enabled (which S3 allows only on a versioned bucket). Mode (GOVERNANCE
// or COMPLIANCE) with Days or Years is the default retention of new
// versions; no mode means none.
type ObjectLock struct {
	Mode  string `yaml:"mode"`
	Days  int32  `yaml:"days"`
	Years int32  `yaml:"years"`
}

// Replication is a bucket's replication to another bucket of the
// scenario (the replica): objects written under Prefix are copied there,
// as new versions holding the same bytes. Delete markers are not
// replicated (S3's default).
type Replication struct {
	// Role is the IAM role S3 replicates as.
	Role string `yaml:"role"`
	// Destination is the replica bucket's name.
	Destination  string `yaml:"destination"`
	Prefix       string `yaml:"prefix"`
	StorageClass string `yaml:"storageClass"`
}

// LifecycleRule is one rule of a bucket's lifecycle configuration.
type LifecycleRule struct {
	ID     string `yaml:"id"`
	Prefix string `yaml:"prefix"`
	// Status is Enabled (default) or Disabled.
	Status string `yaml:"status"`
	// TransitionDays after creation, objects move to TransitionClass.
	TransitionDays  int32  `yaml:"transitionDays"`
	TransitionClass string `yaml:"transitionClass"`
	ExpirationDays  int32  `yaml:"expirationDays"`
	// NoncurrentDays after becoming noncurrent, versions are deleted.
	NoncurrentDays int32 `yaml:"noncurrentDays"`
}

// Restore is a restore of an archived object requested before the
// exercise starts: done once its tier's time has passed since Requested.
type Restore struct {
	// Tier is Expedited, Standard (default) or Bulk.
	Tier      string    `yaml:"tier"`
	Requested time.Time `yaml:"requested"`
	// Days the restored copy stays readable once done (default 1).
	Days int32 `yaml:"days"`
}

// storageClasses are the storage classes S3 accepts for an object.
var storageClasses = []string{"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
	"GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "EXPRESS_ONEZONE"}

// archived reports whether reading objects of a class needs a restore
// first: Glacier Flexible Retrieval and Deep Archive (Glacier Instant
// Retrieval is read directly).
func archived(class string) bool { return class == "GLACIER" || class == "DEEP_ARCHIVE" }

// restoreTime is how long a restore of a class takes at a tier, the
// upper end of what AWS states; 0 when S3 does not offer the tier for
// the class (Deep Archive has no Expedited).
func restoreTime(class, tier string) time.Duration {
	switch class + "/" + tier {
	case "GLACIER/Expedited":
		return 5 * time.Minute
	case "GLACIER/Standard":
		return 5 * time.Hour
	case "GLACIER/Bulk":
		return 12 * time.Hour
	case "DEEP_ARCHIVE/Standard":
		return 12 * time.Hour
	case "DEEP_ARCHIVE/Bulk":
		return 48 * time.Hour
	}
	return 0
}

// bodyETag is the ETag of a body given in the scenario: its MD5, as S3
// computes it for a single-part upload.
func bodyETag(body string) string {
	sum := md5.Sum([]byte(body))
	return hex.EncodeToString(sum[:])
}

// validateS3 checks the S3-only settings of the buckets, at their lines.
func (sc *Scenario) validateS3(v *validator) {
	byName := map[string]*Bucket{}
	for i := range sc.Buckets {
		byName[sc.Buckets[i].Name] = &sc.Buckets[i]
	}
	for i := range sc.Buckets {
		b := &sc.Buckets[i]
		p := func(more ...any) []any { return append(path("buckets", i), more...) }
		if l := b.ObjectLock; l != nil {
			if b.Versioning != "Enabled" {
				v.at(p("objectLock"), "bucket %s has Object Lock, which S3 allows only with versioning Enabled", b.Name)
			}
			switch {
			case l.Mode == "" && (l.Days != 0 || l.Years != 0):
				v.at(p("objectLock", "mode"), "a default retention needs a mode: GOVERNANCE or COMPLIANCE")
			case l.Mode != "" && l.Mode != "GOVERNANCE" && l.Mode != "COMPLIANCE":
				v.at(p("objectLock", "mode"), "Object Lock mode is GOVERNANCE or COMPLIANCE, not %q", l.Mode)
			case l.Mode != "" && (l.Days > 0) == (l.Years > 0):
				v.at(p("objectLock"), "a default retention has days or years (one of them, above 0)")
			}
		}
		if r := b.Replication; r != nil {
			dest := byName[r.Destination]
			switch {
			case dest == nil || r.Destination == b.Name:
				v.at(p("replication", "destination"), "bucket %s replicates to %q, which is not another bucket of the scenario", b.Name, r.Destination)
			case b.Versioning != "Enabled" || dest.Versioning != "Enabled":
				v.at(p("replication"), "replication needs versioning Enabled on both %s and %s", b.Name, r.Destination)
			}
			if !strings.HasPrefix(r.Role, "arn:") || !strings.Contains(r.Role, ":role/") {
				v.at(p("replication", "role"), "replication needs the ARN of the IAM role S3 replicates as, not %q", r.Role)
			}
			if r.StorageClass != "" && !slices.Contains(storageClasses, r.StorageClass) {
				v.at(p("replication", "storageClass"), "storage class %q is not one of %s", r.StorageClass, strings.Join(storageClasses, ", "))
			}
		}
		for k := range b.Lifecycle {
			r := &b.Lifecycle[k]
			if r.Status == "" {
				r.Status = "Enabled"
			}
			if r.Status != "Enabled" && r.Status != "Disabled" {
				v.at(p("lifecycle", k, "status"), "a lifecycle rule's status is Enabled or Disabled, not %q", r.Status)
			}
			if (r.TransitionDays > 0) != (r.TransitionClass != "") {
				v.at(p("lifecycle", k), "a transition needs both transitionDays and transitionClass")
			} else if r.TransitionClass != "" && !slices.Contains(storageClasses, r.TransitionClass) {
				v.at(p("lifecycle", k, "transitionClass"), "storage class %q is not one of %s", r.TransitionClass, strings.Join(storageClasses, ", "))
			}
			if r.TransitionDays == 0 && r.ExpirationDays == 0 && r.NoncurrentDays == 0 {
				v.at(p("lifecycle", k), "a lifecycle rule needs an action: transitionDays, expirationDays or noncurrentDays")
			}
		}
		for j := range b.Objects {
			o := &b.Objects[j]
			op := func(more ...any) []any { return append(p("objects", j), more...) }
			checkBody(v, o.Body, &o.Size, op)
			if !slices.Contains(storageClasses, o.StorageClass) {
				v.at(op("storageClass"), "storage class %q is not one of %s", o.StorageClass, strings.Join(storageClasses, ", "))
			}
			if r := o.Restore; r != nil {
				if r.Tier == "" {
					r.Tier = "Standard"
				}
				if r.Days == 0 {
					r.Days = 1
				}
				switch {
				case !archived(o.StorageClass):
					v.at(op("restore"), "object %q is in %s, which needs no restore (only GLACIER and DEEP_ARCHIVE do)", o.Key, o.StorageClass)
				case restoreTime(o.StorageClass, r.Tier) == 0:
					v.at(op("restore", "tier"), "tier %q is not offered for %s (Expedited, Standard, Bulk; Deep Archive: Standard, Bulk)", r.Tier, o.StorageClass)
				case r.Requested.IsZero():
					v.at(op("restore"), "a restore needs the time it was requested (requested)")
				case o.DeleteMarker:
					v.at(op("restore"), "object %q is a delete marker: there is nothing to restore", o.Key)
				}
			}
			for k := range o.Versions {
				ver := &o.Versions[k]
				if ver.StorageClass == "" {
					ver.StorageClass = "STANDARD"
				} else if !slices.Contains(storageClasses, ver.StorageClass) {
					v.at(op("versions", k, "storageClass"), "storage class %q is not one of %s", ver.StorageClass, strings.Join(storageClasses, ", "))
				}
				checkBody(v, ver.Body, &ver.Size, func(more ...any) []any { return op(append([]any{"versions", k}, more...)...) })
				if ver.LastModified.IsZero() {
					ver.LastModified = b.Created
				}
			}
		}
	}
}

// checkBody sets the size of an object given with its body, and refuses
// a size the body contradicts.
func checkBody(v *validator, body string, size *int64, p func(...any) []any) {
	if body == "" {
		return
	}
	switch {
	case *size == 0:
		*size = int64(len(body))
	case *size != int64(len(body)):
		v.at(p("size"), "size %d is not the length of the body (%d bytes); leave size out", *size, len(body))
	}
}
