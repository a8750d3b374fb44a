// Package config reads switchman's two kinds of configuration: the local
// config file (YAML, or the original tool's JSON, which is valid YAML) and the
// group data stored in the prefix znode in ZooKeeper.
//
// Both parsers are strict: an unknown key, a wrong type or an impossible value
// is an error that names the file (or znode), the key and the bad value, so an
// operator's typo is caught before any job starts.
package config
