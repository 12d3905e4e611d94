complete -c init -l config-dir -d 'Where the enabled services are (symlinks or files)' -r -F
complete -c init -l env-file -d 'KEY=VALUE lines: the whole environment of every service' -r -F
complete -c init -l socket -d 'The control socket `service` talks to' -r -F
complete -c init -l stop-timeout -d 'How long a stop waits for the exit before KILL, for services without `stop-timeout`' -r
complete -c init -l shutdown-stop-timeout -d 'Once shutdown, reboot or switch-root has begun, the most any stop waits before KILL, whatever a service\'s `stop-timeout` says: it bounds the way down' -r
complete -c init -l ready-timeout -d 'How long a service with `ready-fd` or `ready-file` may take to say it is ready, for services without `ready-timeout`' -r
complete -c init -l final-service-timeout -d 'How long a service of the shutdown or reboot target may take before it is given up on' -r
complete -c init -l kill-grace -d 'At the end of shutdown: the time between TERM and KILL to every remaining process, and after a KILL for a stopped service to go' -r
complete -c init -l respawn-delay -d 'The least time between two starts of a respawn service, for services without `respawn-delay`' -r
complete -c init -l respawn-delay-max -d 'The cap the delay between two starts of a respawn service doubles up to after every short run, for services without `respawn-delay-max`. Equal to --respawn-delay: a constant delay, the former default' -r
complete -c init -l trace -d 'Append every input and output of the supervisor to FILE as JSON lines, the same lines as `init-sim run --json` (a re-exec goes on writing there). Kept in memory until FILE can be opened' -r -F
complete -c init -l handover-fd -d 'Set by a re-exec, not by people: the memfd holding the previous init\'s state, to go on from instead of booting' -r
complete -c init -l sequential -d 'Start one service at a time, as the original did'
complete -c init -l supervise -d 'Run as a child subreaper instead of PID 1, and exit (0 unless a main service ended it) at the end of shutdown or reboot instead of calling reboot(2)'
complete -c init -l container -d 'Run as a container\'s init: at the end, exit with the main service\'s status instead of calling reboot(2). Detected as PID 1 of a PID namespace other than the machine\'s (see docs/booting.md)'
complete -c init -l no-container -d 'Run as a machine\'s init even in a PID namespace: end with reboot(2)'
complete -c init -s h -l help -d 'Print help (see more with \'--help\')'
