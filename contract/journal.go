package contract

// Journal fields podinit puts on every line a container writes, and by
// which the host selects them (`podunit logs`, `journalctl FIELD=value`).
const (
	JournalPod          = "POD_NAME"
	JournalNamespace    = "POD_NAMESPACE"
	JournalPodUID       = "POD_UID"
	JournalContainer    = "CONTAINER_NAME"
	JournalRestartCount = "CONTAINER_RESTART_COUNT"
	// JournalInvocation is journald's own (trusted) field naming the unit
	// invocation that logged a line.
	JournalInvocation = "_SYSTEMD_INVOCATION_ID"
)
