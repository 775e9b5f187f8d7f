package v1alpha1

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// TypeVerified is the condition of a completed Backup that says whether
// pgbackrest verify, run on the instance's stanza at the provider's
// --backup-verify-interval, last found every file of the backup valid.
// False means a file is missing or corrupted in the store: nothing should
// be restored from the backup, and the Backup is not Ready.
const TypeVerified xpv2.ConditionType = "Verified"

// Reasons of the Verified condition.
const (
	// ReasonValid: the last verify found every file of the backup valid.
	ReasonValid xpv2.ConditionReason = "Valid"
	// ReasonInvalid: the last verify found a file of the backup missing or
	// not matching its checksum; the message holds pgBackRest's report.
	ReasonInvalid xpv2.ConditionReason = "Invalid"
	// ReasonNotVerified: no verify has run since the backup completed.
	ReasonNotVerified xpv2.ConditionReason = "NotVerified"
	// ReasonVerifyFailed: verify itself failed, such as against a store
	// that does not answer; the message says why.
	ReasonVerifyFailed xpv2.ConditionReason = "VerifyFailed"
)
