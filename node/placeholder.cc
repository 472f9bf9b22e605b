// replaced by the store
