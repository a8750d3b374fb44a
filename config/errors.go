package config

// FileError is a config file's problem: missing, unreadable or invalid.
// Its message names the file, and the line and key where there is one.
// Load returns only this, so a caller can tell a bad config from other
// failures with errors.As.
type FileError struct{ Err error }

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// DataError is group data that cannot be used: not JSON, or of the wrong
// shape. Its message names the znode. ParseData returns only this.
type DataError struct{ Err error }

func (e *DataError) Error() string { return e.Err.Error() }
func (e *DataError) Unwrap() error { return e.Err }
