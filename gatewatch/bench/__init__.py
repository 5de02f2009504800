"""`gatewatch bench`: how many live 720p25 cameras one machine carries (issue #3); see bench/README.md."""
