"""Import stage: existing Word procedures and forms → draft YAML of a document set.

Its own stage beside the pipeline, in steps: package (open untrusted files safely, convert
.doc/.wps) → reader (paragraphs, tables, pictures, automatic numbers) → recognise (an
intermediate structure: outline with the numbers as printed, cover data, revision rows,
process tables, form fields) → mapping (YAML of the model, guesses marked `# 导入推断: …`)
→ run (validate and rebuild in a scratch copy of the set, score fidelity, write atomically)
→ report.
"""
