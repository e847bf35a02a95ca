"""Access: identities and the policy choke point through which every read passes."""
