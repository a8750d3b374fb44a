//go:build probe_yaml || probe_all

package main

// gopkg.in/yaml.v3: the config file.
import _ "gopkg.in/yaml.v3"
