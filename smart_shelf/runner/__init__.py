"""The native runner: the services of docker-compose.yml as local processes on loopback."""
