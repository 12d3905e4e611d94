complete -c killall5 -s h -l help -d 'Print help (see more with \'--help\')'
