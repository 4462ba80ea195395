// Certificates for agent TLS: a CA, and the server, client and CLI certificates it signs.
export {
  certName,
  createCa,
  createCert,
  type CertKind,
  type CertRequest,
  type PemPair,
} from './generate';
