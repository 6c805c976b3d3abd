// Port discovery: which serial ports this machine has, and their stable by-id paths.
export { formatPorts, listPorts, type ListPortsOptions, type PortInfo } from './ports.js';
