"""The CloudStack API: the client on cs.AIOCloudStack, errors, typed models, profiles."""
