export { SimCluster, seededRandom, type SimEvent, type SimOptions } from './cluster';
