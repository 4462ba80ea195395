export { SimCluster, type SimEvent, type SimOptions } from './cluster';
export { seededRandom } from '../../../raft';
