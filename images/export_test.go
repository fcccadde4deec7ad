package images

// LayerAttempts exposes layerAttempts to the external tests (pull_retry_test.go).
const LayerAttempts = layerAttempts
