complete -c init -l config-dir -d 'Where the enabled services are (symlinks or files)' -r -F
complete -c init -l env-file -d 'KEY=VALUE lines: the whole environment of every service' -r -F
complete -c init -l socket -d 'The control socket `service` talks to' -r -F
complete -c init -l sequential -d 'Start one service at a time, as the original did'
complete -c init -l supervise -d 'Run as a child subreaper instead of PID 1, and exit 0 at the end of shutdown or reboot instead of calling reboot(2)'
complete -c init -s h -l help -d 'Print help (see more with \'--help\')'
