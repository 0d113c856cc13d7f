"""Word outputs: procedures (procedure.py) and blank forms (form.py); raw OOXML in ooxml.py."""
