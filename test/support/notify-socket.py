# A stand-in for systemd's notify socket (the manager's side of sd_notify): binds a unix datagram socket, prints
# each message on one line with its assignments joined by "|", and closes the file descriptors that
# `systemd-notify`'s barrier passes (closing them is how the manager says it has read everything before).
import array
import os
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('listening', flush=True)
while True:
    msg, ancillary, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(64))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array('i')
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(msg.decode('utf-8', 'replace').strip().replace('\n', '|'), flush=True)
