"""Associated-data labels of the encrypted party columns: a ciphertext cannot be moved to another column."""

ID_CONTEXT = b"party.id_number"
PHONE_CONTEXT = b"party.phone"
ADDRESS_CONTEXT = b"party.address"
