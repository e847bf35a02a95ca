"""The lifecycle of a record and the rights of the people in it: retention classes and
review (MoPI), step-down restriction, disposal and lawful erasure (crypto-shredding plus
removal from every projection), subject access (DPA 2018 s45), rectification (s46) and
restriction (s47).  See docs/retention.md."""
