// One shared answer to "is this a phone-width screen?", for layouts that change there.
import { ref } from 'vue';

const query = window.matchMedia('(max-width: 768px)');
export const narrow = ref(query.matches);
query.addEventListener('change', (e) => { narrow.value = e.matches; });
