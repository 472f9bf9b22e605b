// replaced by the crypto library
